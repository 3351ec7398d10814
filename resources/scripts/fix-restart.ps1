# Twinlock remote script: fix-restart
# Version: 1
# Purpose: Schedules a restart a few seconds from now so that this answer gets back before the connection drops.
param($P)

$delay = [int]$P.delaySeconds
if ($delay -lt 1) { $delay = 5 }
$os = Get-CimInstance -ClassName Win32_OperatingSystem
& shutdown.exe /r /t $delay /d p:2:17 /c 'Twinlock: restart to finish a fix' | Out-Null
if ($LASTEXITCODE -ne 0) {
    throw "shutdown.exe refused to schedule the restart (exit code $LASTEXITCODE)."
}

[pscustomobject]@{
    scheduled      = $true
    delaySeconds   = $delay
    lastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')
}
