# Twinlock remote script: set-link-address
# Version: 2
# Purpose: Gives a sync-link adapter its address (New-NetIPAddress) and records it in C:\ProgramData\Twinlock\link-addresses.json; an address already on the adapter is reported, not added twice, nor recorded.
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
# The record of the addresses Twinlock added (unpairing removes those, and only those), read before anything changes.
$recordDir = Join-Path $env:ProgramData 'Twinlock'
$recordPath = Join-Path $recordDir 'link-addresses.json'
$entries = @()
if (Test-Path -LiteralPath $recordPath -PathType Leaf) {
    $text = (Get-Content -LiteralPath $recordPath -Encoding UTF8) -join "`n"
    try {
        $record = ConvertFrom-Json -InputObject $text
    } catch {
        throw "$recordPath is not the record Twinlock writes (it is not JSON): $($_.Exception.Message)"
    }
    if ($null -ne $record -and $null -ne $record.PSObject.Properties['addresses']) {
        # PowerShell 7 reads an ISO time as a [datetime]; 5.1 leaves it text. Either way it stays the text written.
        $entries = @($record.addresses | Where-Object { $null -ne $_ } | ForEach-Object {
                $at = $_.addedAt
                if ($at -is [datetime]) { $at = $at.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ') }
                [pscustomobject]@{
                    adapter      = [string]$_.adapter
                    address      = [string]$_.address
                    prefixLength = [int]$_.prefixLength
                    addedAt      = [string]$at
                }
            })
    }
}
# New-NetIPAddress answers one object per store (active and persistent): neither is this script's answer.
New-NetIPAddress -InterfaceAlias $alias -IPAddress $address -PrefixLength $prefixLength -AddressFamily $family -ErrorAction Stop | Out-Null

# Recorded once: an entry of the same adapter and address (from an earlier run) is replaced.
$kept = @($entries | Where-Object { -not ([string]$_.address -eq $address -and [string]$_.adapter -eq $alias) })
$entry = [pscustomobject]@{
    adapter      = $alias
    address      = $address
    prefixLength = $prefixLength
    addedAt      = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ')
}
if (-not (Test-Path -LiteralPath $recordDir -PathType Container)) {
    New-Item -ItemType Directory -Path $recordDir -Force | Out-Null
}
# Written whole to a temporary file, then moved over the record: a reader never sees half of it.
$temp = Join-Path $recordDir 'link-addresses.json.tmp'
$json = ConvertTo-Json -InputObject ([pscustomobject]@{ addresses = @($kept + $entry) }) -Depth 4
Set-Content -LiteralPath $temp -Value $json -Encoding UTF8
Move-Item -LiteralPath $temp -Destination $recordPath -Force

[pscustomobject]@{
    adapter        = $alias
    address        = $address
    prefixLength   = $prefixLength
    added          = $true
    alreadyPresent = $false
}
