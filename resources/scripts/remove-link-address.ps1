# Twinlock remote script: remove-link-address
# Version: 2
# Purpose: Removes a sync-link address from its adapter (Remove-NetIPAddress) and from C:\ProgramData\Twinlock\link-addresses.json; with onlyIfRecorded, an address Twinlock did not add is left alone.
param($P)

$alias = [string]$P.adapter
$address = [string]$P.address
$onlyIfRecorded = $null -ne $P.PSObject.Properties['onlyIfRecorded'] -and $P.onlyIfRecorded -eq $true

# The record of the addresses Twinlock added (set-link-address writes it).
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
$mine = @($entries | Where-Object { [string]$_.address -eq $address -and [string]$_.adapter -eq $alias })
$recorded = $mine.Count -gt 0

if ($onlyIfRecorded -and -not $recorded) {
    [pscustomobject]@{
        adapter  = $alias
        address  = $address
        removed  = $false
        recorded = $false
        reason   = 'not-added-by-twinlock'
    }
    return
}

$present = @(Get-NetIPAddress -InterfaceAlias $alias -ErrorAction SilentlyContinue |
    Where-Object { $_.IPAddress -eq $address })
if ($present.Count -gt 0) {
    Remove-NetIPAddress -InterfaceAlias $alias -IPAddress $address -Confirm:$false -ErrorAction Stop
}

if ($recorded) {
    $kept = @($entries | Where-Object { -not ([string]$_.address -eq $address -and [string]$_.adapter -eq $alias) })
    # Written whole to a temporary file, then moved over the record: a reader never sees half of it.
    $temp = Join-Path $recordDir 'link-addresses.json.tmp'
    $json = ConvertTo-Json -InputObject ([pscustomobject]@{ addresses = $kept }) -Depth 4
    Set-Content -LiteralPath $temp -Value $json -Encoding UTF8
    Move-Item -LiteralPath $temp -Destination $recordPath -Force
}

$reason = $null
if ($present.Count -eq 0) { $reason = 'not-present' }
[pscustomobject]@{
    adapter  = $alias
    address  = $address
    removed  = $present.Count -gt 0
    recorded = $recorded
    reason   = $reason
}
