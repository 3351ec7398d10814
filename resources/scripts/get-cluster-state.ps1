# Twinlock remote script: get-cluster-state
# Version: 1
# Purpose: Reads whether Failover Clustering and its PowerShell tools are installed and, when this server is a node of a cluster, the cluster: name, domain, description, addresses, nodes, quorum and witness, VM roles and networks.
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

function ConvertTo-PrefixLength {
    param([string]$Mask)
    $bits = 0
    foreach ($octet in ($Mask -split '\.')) {
        $n = [int]$octet
        while ($n -gt 0) { $bits += $n -band 1; $n = $n -shr 1 }
    }
    $bits
}

function Get-TwinlockCluster {
    param($c)
    $resources = @(Get-ClusterResource)
    $addresses = @($resources | Where-Object { [string]$_.Name -like 'Cluster IP Address*' } | ForEach-Object {
            [string](Get-ClusterParameter -InputObject $_ -Name Address).Value
        })
    $nodes = @(Get-ClusterNode | ForEach-Object { [pscustomobject]@{ name = [string]$_.Name; state = [string]$_.State } })
    $q = Get-ClusterQuorum
    $witness = $null
    $w = $q.QuorumResource
    if ($null -ne $w) {
        $type = [string]$w.ResourceType.Name
        $kind = switch ($type) {
            'File Share Witness' { 'file-share' }
            'Cloud Witness' { 'cloud' }
            default { 'disk' }
        }
        $address = switch ($kind) {
            'file-share' { [string](Get-ClusterParameter -InputObject $w -Name SharePath).Value }
            'cloud' { [string](Get-ClusterParameter -InputObject $w -Name AccountName).Value }
            default { [string]$w.Name }
        }
        $witness = [pscustomobject]@{ kind = $kind; address = $address; state = ConvertTo-GroupState ([string]$w.State) }
    }
    $roles = @(Get-ClusterGroup | Where-Object { [string]$_.GroupType -eq 'VirtualMachine' } | ForEach-Object {
            $g = $_
            # Add-ClusterVirtualMachineRole names the VM's resource "Virtual Machine <VM name>".
            $vmResource = @($resources | Where-Object { [string]$_.OwnerGroup.Name -eq [string]$g.Name -and [string]$_.ResourceType.Name -eq 'Virtual Machine' })
            $vm = [string]$g.Name
            if ($vmResource.Count -gt 0 -and ([string]$vmResource[0].Name).StartsWith('Virtual Machine ')) {
                $vm = ([string]$vmResource[0].Name).Substring(16)
            }
            [pscustomobject]@{ name = [string]$g.Name; vm = $vm; ownerNode = [string]$g.OwnerNode.Name; state = ConvertTo-GroupState ([string]$g.State) }
        })
    $networks = @(Get-ClusterNetwork | ForEach-Object {
            [pscustomobject]@{
                name         = [string]$_.Name
                address      = [string]$_.Address
                prefixLength = [int](ConvertTo-PrefixLength ([string]$_.AddressMask))
                state        = [string]$_.State
                role         = [int]$_.Role
            }
        })
    [pscustomobject]@{
        name        = [string]$c.Name
        addresses   = $addresses
        description = [string]$c.Description
        domain      = [string]$c.Domain
        nodes       = $nodes
        quorum      = [pscustomobject]@{ type = [string]$q.QuorumType; witness = $witness }
        roles       = $roles
        networks    = $networks
    }
}

$features = @(Get-WindowsFeature -Name @('Failover-Clustering', 'RSAT-Clustering-PowerShell'))
$featureInstalled = @($features | Where-Object { $_.Name -eq 'Failover-Clustering' -and $_.Installed }).Count -gt 0
$toolsInstalled = @($features | Where-Object { $_.Name -eq 'RSAT-Clustering-PowerShell' -and $_.Installed }).Count -gt 0
$cluster = $null
if ($featureInstalled -and $toolsInstalled) {
    # Get-Cluster fails on a server that is a node of no cluster (its cluster service is not running).
    $c = $null
    try { $c = Get-Cluster -ErrorAction Stop } catch { $c = $null }
    if ($null -ne $c) { $cluster = Get-TwinlockCluster $c }
}

[pscustomobject]@{
    featureInstalled = $featureInstalled
    toolsInstalled   = $toolsInstalled
    cluster          = $cluster
}
