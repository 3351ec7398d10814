# Twinlock remote script: uninstall-agent
# Version: 1
# Purpose: Removes the agent product silently by its product code, with a verbose log.
param($P)

$logDir = Split-Path -Path $P.logPath -Parent
if (-not (Test-Path -LiteralPath $logDir)) {
    New-Item -ItemType Directory -Path $logDir -Force | Out-Null
}

$argumentList = @('/x', [string]$P.productCode, '/qn', '/norestart', '/l*v', "`"$($P.logPath)`"")
$watch = [Diagnostics.Stopwatch]::StartNew()
$process = Start-Process -FilePath 'msiexec.exe' -ArgumentList $argumentList -Wait -PassThru
$watch.Stop()
$exitCode = $process.ExitCode

$tail = @()
if (@(0, 3010, 1641, 1605) -notcontains $exitCode -and (Test-Path -LiteralPath $P.logPath)) {
    $tail = @(Get-Content -LiteralPath $P.logPath -Encoding Unicode |
        Where-Object { $_.Trim() -ne '' -and $_ -notlike 'Property(*' } |
        Select-Object -Last 40)
}

[pscustomobject]@{
    exitCode       = $exitCode
    durationMs     = [int]$watch.ElapsedMilliseconds
    rebootRequired = ($exitCode -eq 3010 -or $exitCode -eq 1641)
    logPath        = $P.logPath
    logTail        = $tail
}
