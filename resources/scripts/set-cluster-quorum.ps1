# Twinlock remote script: set-cluster-quorum
# Version: 1
# Purpose: Gives the cluster this server is a node of its quorum witness (Set-ClusterQuorum -FileShareWitness, -DiskWitness after adding the named shared disk, -CloudWitness, or -NodeMajority) and reads Get-ClusterQuorum back.
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

$kind = [string]$P.kind
$c = Get-Cluster -ErrorAction Stop
switch ($kind) {
    'file-share' {
        Set-ClusterQuorum -FileShareWitness ([string]$P.path) -ErrorAction Stop | Out-Null
    }
    'disk' {
        $disk = [string]$P.disk
        # A disk witness is a cluster disk: a shared disk the cluster does not hold yet is added first (Get-ClusterAvailableDisk names it as its resource will be named).
        $resource = @(Get-ClusterResource | Where-Object { [string]$_.Name -eq $disk })
        if ($resource.Count -eq 0) {
            $available = @(Get-ClusterAvailableDisk | Where-Object { [string]$_.Name -eq $disk })
            if ($available.Count -eq 0) {
                throw "There is no disk named '$disk' in the cluster or available to it (Get-ClusterAvailableDisk). Choose a disk both servers see on shared storage."
            }
            $available | Add-ClusterDisk -ErrorAction Stop | Out-Null
        }
        Set-ClusterQuorum -DiskWitness $disk -ErrorAction Stop | Out-Null
    }
    'cloud' {
        Set-ClusterQuorum -CloudWitness -AccountName ([string]$P.accountName) -AccessKey ([string]$P.accessKey) -ErrorAction Stop | Out-Null
    }
    'node-majority' {
        Set-ClusterQuorum -NodeMajority -ErrorAction Stop | Out-Null
    }
    default {
        throw "'$kind' is not a quorum witness kind (file-share, disk, cloud or node-majority)."
    }
}
(Get-TwinlockCluster $c).quorum
