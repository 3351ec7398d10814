# Twinlock remote script: fix-power-plan
# Version: 1
# Purpose: Activates a power plan by its GUID (High performance) with powercfg.
param($P)

$guid = [string]$P.guid
if ($guid -notmatch '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$') {
    throw "'$guid' is not a power plan GUID."
}
& powercfg.exe /setactive $guid
if ($LASTEXITCODE -ne 0) {
    throw "powercfg could not activate the power plan $guid (exit code $LASTEXITCODE)."
}
$active = Get-CimInstance -Namespace 'root\cimv2\power' -ClassName Win32_PowerPlan -Filter 'IsActive = TRUE'

[pscustomobject]@{
    guid    = $guid
    active  = $active.ElementName
    changed = $true
}
