# Twinlock remote script: restart-host
# Version: 2
# Purpose: Schedules a restart of the server a few seconds from now so that this answer gets back first.
param($P)

$delay = [int]$P.delaySeconds
if ($delay -lt 1) { $delay = 5 }
# The reason code and comment land in the System event log (event 1074) for the admin to read.
if ($P.reason -eq 'fix') {
    $code = 'p:2:17'
    $comment = 'Twinlock: restart to finish a fix'
} else {
    $code = 'p:4:2'
    $comment = 'Twinlock: restart requested by the agent installation'
}
$os = Get-CimInstance -ClassName Win32_OperatingSystem
# shutdown.exe returns at once; Restart-Computer would cut this SSH session before the answer leaves.
& shutdown.exe /r /t $delay /d $code /c $comment | Out-Null
if ($LASTEXITCODE -ne 0) {
    throw "shutdown.exe refused to schedule the restart (exit code $LASTEXITCODE)."
}

[pscustomobject]@{
    scheduled      = $true
    delaySeconds   = $delay
    lastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')
}
