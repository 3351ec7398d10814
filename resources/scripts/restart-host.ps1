# Twinlock remote script: restart-host
# Version: 1
# Purpose: Schedules a restart of the server a few seconds from now so that this answer gets back first.
param($P)

$delay = [int]$P.delaySeconds
if ($delay -lt 1) { $delay = 5 }
$os = Get-CimInstance -ClassName Win32_OperatingSystem
# shutdown.exe returns at once; Restart-Computer would cut this SSH session before the answer leaves.
& shutdown.exe /r /t $delay /d p:4:2 /c 'Twinlock: restart requested by the agent installation' | Out-Null
if ($LASTEXITCODE -ne 0) {
    throw "shutdown.exe refused to schedule the restart (exit code $LASTEXITCODE)."
}

[pscustomobject]@{
    scheduled      = $true
    delaySeconds   = $delay
    lastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')
}
