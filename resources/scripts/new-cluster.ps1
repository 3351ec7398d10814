# Twinlock remote script: new-cluster
# Version: 1
# Purpose: Makes the failover cluster of a Level 1 pair (New-Cluster -Name -Node -StaticAddress -NoStorage, with a DNS administrative access point in a workgroup), writes its description, and reports its name, addresses, domain and nodes.
param($P)

$name = [string]$P.name
$nodes = @($P.nodes | ForEach-Object { [string]$_ })
$addresses = @($P.staticAddress | ForEach-Object { [string]$_ })
$feature = @(Get-WindowsFeature -Name 'Failover-Clustering' | Where-Object { $_.Installed })
if ($feature.Count -eq 0) {
    throw "Failover Clustering is not installed on $($env:COMPUTERNAME). Install the Failover-Clustering feature with its management tools first."
}
# A workgroup cluster has no computer object: its name lives in DNS only.
$system = Get-CimInstance -ClassName Win32_ComputerSystem
if ([bool]$system.PartOfDomain) {
    New-Cluster -Name $name -Node $nodes -StaticAddress $addresses -NoStorage -ErrorAction Stop | Out-Null
} else {
    New-Cluster -Name $name -Node $nodes -StaticAddress $addresses -NoStorage -AdministrativeAccessPoint Dns -ErrorAction Stop | Out-Null
}
$c = Get-Cluster -Name $name -ErrorAction Stop
$c.Description = [string]$P.description
# What was made; get-cluster-state reads the rest (the quorum, the roles, the networks).
[pscustomobject]@{
    name        = [string]$c.Name
    addresses   = @(Get-ClusterResource | Where-Object { [string]$_.Name -like 'Cluster IP Address*' } | ForEach-Object {
            [string](Get-ClusterParameter -InputObject $_ -Name Address).Value
        })
    description = [string]$c.Description
    domain      = [string]$c.Domain
    nodes       = @(Get-ClusterNode | ForEach-Object { [pscustomobject]@{ name = [string]$_.Name; state = [string]$_.State } })
}
