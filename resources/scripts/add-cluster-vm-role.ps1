# Twinlock remote script: add-cluster-vm-role
# Version: 1
# Purpose: Makes a VM a role of the cluster this server is a node of (Add-ClusterVirtualMachineRole -VMName); a VM that is a role already is reported, not added twice.
param($P)

# Get-ClusterResource .State and Get-ClusterGroup .State in the words a role's state has.
function ConvertTo-GroupState {
    param([string]$State)
    switch ($State) {
        'Online' { 'Online' }
        'Offline' { 'Offline' }
        'Failed' { 'Failed' }
        'PartialOnline' { 'PartialOnline' }
        'Pending' { 'Pending' }
        'OnlinePending' { 'Pending' }
        'OfflinePending' { 'Pending' }
        default { 'Unknown' }
    }
}

$vm = [string]$P.vm
$null = Get-Cluster -ErrorAction Stop

# Add-ClusterVirtualMachineRole names the group after the VM and its resource "Virtual Machine <VM name>".
function Get-VmRole {
    param([string]$Vm)
    $resources = @(Get-ClusterResource | Where-Object { [string]$_.ResourceType.Name -eq 'Virtual Machine' })
    foreach ($g in @(Get-ClusterGroup | Where-Object { [string]$_.GroupType -eq 'VirtualMachine' })) {
        $names = @([string]$g.Name) + @($resources | Where-Object { [string]$_.OwnerGroup.Name -eq [string]$g.Name } | ForEach-Object {
                ([string]$_.Name) -replace '^Virtual Machine ', ''
            })
        if ($names -contains $Vm) {
            $state = ConvertTo-GroupState ([string]$g.State)
            return [pscustomobject]@{ name = [string]$g.Name; vm = $Vm; ownerNode = [string]$g.OwnerNode.Name; state = $state }
        }
    }
    $null
}

$role = Get-VmRole $vm
if ($null -eq $role) {
    Add-ClusterVirtualMachineRole -VMName $vm -ErrorAction Stop | Out-Null
    $role = Get-VmRole $vm
}
$role
