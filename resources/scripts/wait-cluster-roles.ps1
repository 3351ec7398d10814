# Twinlock remote script: wait-cluster-roles
# Version: 1
# Purpose: Waits until every VM named is a role of this server's cluster and online (Get-ClusterGroup, every 2 seconds), or the time given has passed; reports the roles as they stand.
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

$vms = @($P.vms | ForEach-Object { [string]$_ })
$timeoutSeconds = [double]$P.timeoutSeconds
$null = Get-Cluster -ErrorAction Stop
$watch = [System.Diagnostics.Stopwatch]::StartNew()
while ($true) {
    $resources = @(Get-ClusterResource | Where-Object { [string]$_.ResourceType.Name -eq 'Virtual Machine' })
    $groups = @(Get-ClusterGroup | Where-Object { [string]$_.GroupType -eq 'VirtualMachine' })
    $roles = @()
    $missing = @()
    foreach ($vm in $vms) {
        $found = $null
        foreach ($g in $groups) {
            $names = @([string]$g.Name) + @($resources | Where-Object { [string]$_.OwnerGroup.Name -eq [string]$g.Name } | ForEach-Object {
                    ([string]$_.Name) -replace '^Virtual Machine ', ''
                })
            if ($names -contains $vm) { $found = $g; break }
        }
        if ($null -eq $found) { $missing += $vm; continue }
        $state = ConvertTo-GroupState ([string]$found.State)
        $roles += [pscustomobject]@{ name = [string]$found.Name; vm = $vm; ownerNode = [string]$found.OwnerNode.Name; state = $state }
    }
    $allOnline = $missing.Count -eq 0 -and @($roles | Where-Object { $_.state -ne 'Online' }).Count -eq 0
    $left = $timeoutSeconds - $watch.Elapsed.TotalSeconds
    if ($allOnline -or $left -le 0) { break }
    Start-Sleep -Milliseconds ([int](1000 * [Math]::Min(2, $left)))
}
[pscustomobject]@{ allOnline = $allOnline; roles = $roles; missing = $missing }
