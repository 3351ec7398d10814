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

# Get-ClusterQuorum as get-cluster-state reports it: the quorum type and the witness resource (null: node majority).
function Get-TwinlockQuorum {
    $q = Get-ClusterQuorum
    $witness = $null
    $w = $q.QuorumResource
    if ($null -ne $w) {
        $kind = switch ([string]$w.ResourceType.Name) {
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
    [pscustomobject]@{ type = [string]$q.QuorumType; witness = $witness }
}

$kind = [string]$P.kind
$null = Get-Cluster -ErrorAction Stop
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
Get-TwinlockQuorum
