# How the PowerShell tier runs one case (used by TierHost.ps1 and the Pester tests): the way a
# server runs `powershell.exe -NoProfile -NonInteractive -EncodedCommand <bootstrap>` with the
# engine's stdin. See TierHost.ps1 for what stands for what.

function New-TierRunspace {
    <# A runspace with no profile, the Windows shim imported, Set-StrictMode Latest. #>
    param([Parameter(Mandatory)][string]$ShimPath)
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $rs = [runspacefactory]::CreateRunspace($iss)
    $rs.Open()
    $ps = [powershell]::Create()
    $ps.Runspace = $rs
    $null = $ps.AddScript('param($shim) Import-Module -Name $shim -Global -DisableNameChecking; Set-StrictMode -Version Latest').AddArgument($ShimPath)
    $null = $ps.Invoke()
    $ps.Dispose()
    return $rs
}

$script:TierDriver = @'
param($file, $serverJson, $stdin)
Initialize-WindowsShim -ServerJson $serverJson
$global:LASTEXITCODE = 0
$global:Error.Clear()
[Console]::SetIn([System.IO.StringReader]::new($stdin))
$exit = 0
$stderr = ''
$out = [System.Collections.Generic.List[string]]::new()
try {
    & $file | ForEach-Object { $out.Add(($_ | Out-String).TrimEnd("`r", "`n")) }
    # powershell.exe exits with the code of an `exit N`, else 0 once the last statement succeeded
    # (a native program's $LASTEXITCODE inside the script does not leak into it).
    $exit = if ($?) { 0 } else { [int]$global:LASTEXITCODE }
} catch {
    # powershell.exe prints an error that escapes the command on stderr and exits 1.
    $stderr = ($_ | Out-String)
    $exit = 1
}
[pscustomobject]@{
    stdout   = if ($out.Count -gt 0) { ($out -join "`r`n") + "`r`n" } else { '' }
    stderr   = $stderr
    exitCode = $exit
    changes  = Get-WindowsShimChanges
}
'@

function Invoke-TierCase {
    <# Runs the bootstrap file with this stdin on this shimmed server; returns stdout, stderr, exitCode, changes. #>
    param([Parameter(Mandatory)]$Runspace, [Parameter(Mandatory)][string]$BootstrapFile, [Parameter(Mandatory)][string]$ServerJson, [Parameter(Mandatory)][AllowEmptyString()][string]$Stdin)
    $ps = [powershell]::Create()
    $ps.Runspace = $Runspace
    $null = $ps.AddScript($script:TierDriver).AddArgument($BootstrapFile).AddArgument($ServerJson).AddArgument($Stdin)
    try {
        $result = @($ps.Invoke())
        if ($result.Count -ne 1) { throw "The case driver returned $($result.Count) objects: $($ps.Streams.Error | Out-String)" }
        return $result[0]
    } finally {
        $ps.Dispose()
    }
}
