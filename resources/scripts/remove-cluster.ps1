# Twinlock remote script: remove-cluster
# Version: 1
# Purpose: Destroys the cluster this server is a node of, when it is the one named (Remove-Cluster -Force, with -CleanupAD in a domain so its computer object goes too); nothing when this server is a node of none.
param($P)

$name = [string]$P.name
$c = $null
try { $c = Get-Cluster -ErrorAction Stop } catch { $c = $null }
if ($null -eq $c) {
    [pscustomobject]@{ removed = $false; computerObjectRemoved = $false }
    return
}
if ([string]$c.Name -ne $name) {
    throw "This server is a node of cluster '$($c.Name)', not '$name'. Nothing was removed."
}
$system = Get-CimInstance -ClassName Win32_ComputerSystem
$warnings = @()
if ([bool]$system.PartOfDomain) {
    # Remove-Cluster warns (and goes on) when the account may not delete the computer object.
    Remove-Cluster -InputObject $c -Force -CleanupAD -ErrorAction Stop -WarningAction SilentlyContinue -WarningVariable warnings | Out-Null
} else {
    Remove-Cluster -InputObject $c -Force -ErrorAction Stop | Out-Null
}
[pscustomobject]@{ removed = $true; computerObjectRemoved = [bool]$system.PartOfDomain -and @($warnings).Count -eq 0 }
