# Twinlock remote script: set-link-address
# Version: 1
# Purpose: Gives a sync-link adapter its address (New-NetIPAddress); an address already on the adapter is reported, not added twice.
param($P)

$alias = [string]$P.adapter
$address = [string]$P.address
$prefixLength = [int]$P.prefixLength
$parsed = $null
if (-not [System.Net.IPAddress]::TryParse($address, [ref]$parsed)) {
    throw "'$address' is not an IP address."
}
if ($parsed.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetworkV6) {
    $family = 'IPv6'
    $maxPrefix = 128
} else {
    $family = 'IPv4'
    $maxPrefix = 32
}
if ($prefixLength -lt 1 -or $prefixLength -gt $maxPrefix) {
    throw "The prefix length $prefixLength is not valid for $address (1 to $maxPrefix)."
}
$adapter = Get-NetAdapter -Name $alias -ErrorAction SilentlyContinue
if (-not $adapter) {
    throw "There is no network adapter named '$alias' on this server."
}
# The address on another adapter would give this server two routes to the link's subnet.
$holders = @(Get-NetIPAddress -AddressFamily $family -ErrorAction SilentlyContinue |
    Where-Object { $_.IPAddress -eq $address })
$here = @($holders | Where-Object { $_.InterfaceAlias -eq $alias })
if ($here.Count -gt 0) {
    [pscustomobject]@{
        adapter        = $alias
        address        = $address
        prefixLength   = [int]$here[0].PrefixLength
        added          = $false
        alreadyPresent = $true
    }
    return
}
if ($holders.Count -gt 0) {
    throw "$address is already in use on this server by the adapter '$($holders[0].InterfaceAlias)'."
}
# New-NetIPAddress answers one object per store (active and persistent): neither is this script's answer.
New-NetIPAddress -InterfaceAlias $alias -IPAddress $address -PrefixLength $prefixLength -AddressFamily $family -ErrorAction Stop | Out-Null

[pscustomobject]@{
    adapter        = $alias
    address        = $address
    prefixLength   = $prefixLength
    added          = $true
    alreadyPresent = $false
}
