# Twinlock remote script: restart-host
# Version: 4
# Purpose: Schedules a restart of the server a few seconds from now so that this answer gets back first.
param($P)

$delay = [int]$P.delaySeconds
if ($delay -lt 1) { $delay = 5 }
# The reason code and comment land in the System event log (event 1074) for the admin to read.
if ($P.reason -eq 'fix') {
    $code = 'p:2:17'
    $comment = 'Twinlock: restart to finish a fix'
} elseif ($P.reason -eq 'cluster-feature') {
    # Operating System: Reconfiguration (Planned): a feature added or removed.
    $code = 'p:2:4'
    $comment = 'Twinlock: restart to finish a Failover Clustering change'
} else {
    $code = 'p:4:2'
    $comment = 'Twinlock: restart requested by the agent installation'
}
$os = Get-CimInstance -ClassName Win32_OperatingSystem
# shutdown.exe returns at once; Restart-Computer would cut this SSH session before the answer leaves.
& shutdown.exe /r /t $delay /d $code /c $comment | Out-Null
$exitCode = $LASTEXITCODE
# 1190: a restart is already scheduled; 1115: one is under way. The server restarts either way, so
# this is an answer (alreadyPending), not a failure; any other refusal is one.
$alreadyPending = ($exitCode -eq 1190 -or $exitCode -eq 1115)
if ($exitCode -ne 0 -and -not $alreadyPending) {
    throw "shutdown.exe refused to schedule the restart (exit code $exitCode)."
}

[pscustomobject]@{
    scheduled      = -not $alreadyPending
    alreadyPending = $alreadyPending
    exitCode       = $exitCode
    delaySeconds   = $delay
    lastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')
}
