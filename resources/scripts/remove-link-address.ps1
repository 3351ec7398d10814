# Twinlock remote script: remove-link-address
# Version: 1
# Purpose: Removes a sync-link address from its adapter (Remove-NetIPAddress); an address that is not there is nothing to do.
param($P)

$alias = [string]$P.adapter
$address = [string]$P.address
$present = @(Get-NetIPAddress -InterfaceAlias $alias -ErrorAction SilentlyContinue |
    Where-Object { $_.IPAddress -eq $address })
if ($present.Count -eq 0) {
    [pscustomobject]@{
        adapter = $alias
        address = $address
        removed = $false
    }
    return
}
Remove-NetIPAddress -InterfaceAlias $alias -IPAddress $address -Confirm:$false -ErrorAction Stop

[pscustomobject]@{
    adapter = $alias
    address = $address
    removed = $true
}
