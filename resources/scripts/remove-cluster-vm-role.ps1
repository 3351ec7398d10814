# Twinlock remote script: remove-cluster-vm-role
# Version: 1
# Purpose: Takes a VM out of the cluster this server is a node of (Remove-ClusterGroup -RemoveResources -Force of its role); the VM itself stays on the node that runs it.
param($P)

$vm = [string]$P.vm
$null = Get-Cluster -ErrorAction Stop
$resources = @(Get-ClusterResource | Where-Object { [string]$_.ResourceType.Name -eq 'Virtual Machine' })
$group = $null
foreach ($g in @(Get-ClusterGroup | Where-Object { [string]$_.GroupType -eq 'VirtualMachine' })) {
    $names = @([string]$g.Name) + @($resources | Where-Object { [string]$_.OwnerGroup.Name -eq [string]$g.Name } | ForEach-Object {
            ([string]$_.Name) -replace '^Virtual Machine ', ''
        })
    if ($names -contains $vm) { $group = $g; break }
}
if ($null -eq $group) {
    [pscustomobject]@{ removed = $false }
    return
}
Remove-ClusterGroup -InputObject $group -RemoveResources -Force -ErrorAction Stop | Out-Null
[pscustomobject]@{ removed = $true }
