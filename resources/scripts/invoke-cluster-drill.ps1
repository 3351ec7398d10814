# Twinlock remote script: invoke-cluster-drill
# Version: 1
# Purpose: One step of a Level 1 failover drill, run on a node that stays up: stops or starts a node's cluster service (Stop-ClusterNode, Start-ClusterNode), drains a node or resumes it with its roles moved back (Suspend-ClusterNode -Drain -Wait, Resume-ClusterNode -Failback Immediate), or live-migrates one VM's role to a node (Move-ClusterVirtualMachineRole -MigrationType Live); then the nodes and the VM roles as they stand.
param($P)

$action = [string]$P.action
$node = [string]$P.node
$vm = [string]$P.vm
if ($node -eq '') {
    throw "The drill step '$action' needs the name of a cluster node."
}
switch ($action) {
    'stop-node' { Stop-ClusterNode -Name $node -ErrorAction Stop | Out-Null }
    'start-node' { Start-ClusterNode -Name $node -ErrorAction Stop | Out-Null }
    # -Wait: the cmdlet returns once every role has moved off (by live migration for a running VM).
    'drain' { Suspend-ClusterNode -Name $node -Drain -Wait -ErrorAction Stop | Out-Null }
    'resume' { Resume-ClusterNode -Name $node -Failback Immediate -ErrorAction Stop | Out-Null }
    'live-migrate' {
        if ($vm -eq '') {
            throw 'A live migration needs the name of the VM to move.'
        }
        # Add-ClusterVirtualMachineRole names the VM's role (its cluster group) after the VM.
        Move-ClusterVirtualMachineRole -Name $vm -Node $node -MigrationType Live -ErrorAction Stop | Out-Null
    }
    default {
        throw "'$action' is not a drill step (stop-node, start-node, drain, resume or live-migrate)."
    }
}

$nodes = @(Get-ClusterNode -ErrorAction Stop | ForEach-Object {
        [pscustomobject]@{ name = [string]$_.Name; state = [string]$_.State }
    })
$roles = @(Get-ClusterGroup -ErrorAction Stop | Where-Object { [string]$_.GroupType -eq 'VirtualMachine' } | ForEach-Object {
        [pscustomobject]@{
            name      = [string]$_.Name
            vm        = [string]$_.Name
            ownerNode = [string]$_.OwnerNode.Name
            state     = [string]$_.State
        }
    })
[pscustomobject]@{
    action = $action
    node   = $node
    nodes  = $nodes
    roles  = $roles
}
