# Twinlock remote script: get-link-addresses
# Version: 1
# Purpose: Reads C:\ProgramData\Twinlock\link-addresses.json, the link addresses set-link-address added (read-only; no record is none).
param($P)

$recordPath = Join-Path (Join-Path $env:ProgramData 'Twinlock') 'link-addresses.json'
$entries = @()
$exists = Test-Path -LiteralPath $recordPath -PathType Leaf
if ($exists) {
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

[pscustomobject]@{
    path      = $recordPath
    exists    = $exists
    addresses = $entries
}
