# Twinlock remote script: install-agent
# Version: 1
# Purpose: Runs msiexec silently with a verbose log and reports the exit code and, on failure, the log tail.
param($P)

$logDir = Split-Path -Path $P.logPath -Parent
if (-not (Test-Path -LiteralPath $logDir)) {
    New-Item -ItemType Directory -Path $logDir -Force | Out-Null
}

# Paths are quoted by hand: Start-Process joins ArgumentList with spaces and adds no quotes.
$argumentList = @('/i', "`"$($P.path)`"", '/qn', '/norestart', '/l*v', "`"$($P.logPath)`"")
if ($P.arguments) {
    $argumentList += @($P.arguments | ForEach-Object { [string]$_ })
}

$watch = [Diagnostics.Stopwatch]::StartNew()
$process = Start-Process -FilePath 'msiexec.exe' -ArgumentList $argumentList -Wait -PassThru
$watch.Stop()
$exitCode = $process.ExitCode

$tail = @()
if (@(0, 3010, 1641) -notcontains $exitCode -and (Test-Path -LiteralPath $P.logPath)) {
    # msiexec writes its verbose log in UTF-16; the property dump at the end says nothing about the failure.
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
