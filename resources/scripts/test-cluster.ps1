# Twinlock remote script: test-cluster
# Version: 1
# Purpose: Runs Windows' cluster validation (Test-Cluster) on the nodes, its report under C:\ProgramData\Twinlock\reports, and reads the results back per category and test.
param($P)

$nodes = @($P.nodes | Where-Object { $null -ne $_ -and [string]$_ -ne '' } | ForEach-Object { [string]$_ })
$include = @($P.include | Where-Object { $null -ne $_ -and [string]$_ -ne '' } | ForEach-Object { [string]$_ })
if ($nodes.Count -eq 0) { throw 'nodes is empty: name the servers to validate, for example TL-NODE-A and TL-NODE-B.' }
# Test-Cluster comes with Failover Clustering's PowerShell module (RSAT-Clustering-PowerShell).
if ($null -eq (Get-Command -Name 'Test-Cluster' -ErrorAction SilentlyContinue)) {
    throw "Test-Cluster is not available on $($env:COMPUTERNAME): install the Failover Clustering feature with its management tools first."
}

$reports = 'C:\ProgramData\Twinlock\reports'
if (-not (Test-Path -LiteralPath $reports -PathType Container)) { $null = New-Item -ItemType Directory -Path $reports -Force }
# Test-Cluster's own naming (Validation Report 2026.12.03 At 09.15.42), in a folder of Twinlock's.
$started = [DateTime]::UtcNow
$now = [DateTime]::Now
$base = Join-Path $reports ('Validation Report ' + $now.ToString('yyyy.MM.dd', [Globalization.CultureInfo]::InvariantCulture) + ' At ' + $now.ToString('HH.mm.ss', [Globalization.CultureInfo]::InvariantCulture))
$arguments = @{ Node = $nodes; ReportName = $base; WarningAction = 'SilentlyContinue' }
if ($include.Count -gt 0) { $arguments['Include'] = $include }
# Test-Cluster returns the report it wrote (.htm); the results it read are in the .xml beside it.
$report = Test-Cluster @arguments
$xmlPath = [System.IO.Path]::ChangeExtension([string]$report.FullName, '.xml')
# Get-Content reads a byte-order mark (UTF-8 or UTF-16) as Windows wrote it.
[xml]$xml = (Get-Content -LiteralPath $xmlPath) -join "`n"

$words = @{ Success = 'passed'; Warning = 'warning'; Failed = 'failed' }
function Get-WorstResult {
    param([string[]]$Results)
    foreach ($r in @('failed', 'warning', 'passed')) { if (@($Results) -contains $r) { return $r } }
    'not-run'
}

$categories = @(foreach ($c in @($xml.SelectNodes('/Report/Channel[@Type="Category"]'))) {
        $tests = @(foreach ($t in @($c.SelectNodes('Channel[@Type="Test"]'))) {
                $value = [string]$t.SelectSingleNode('Result').InnerText
                $result = if ($words.ContainsKey($value)) { $words[$value] } else { 'not-run' }
                $message = $t.SelectSingleNode('Message')
                [pscustomobject]@{ name = [string]$t.GetAttribute('Name'); result = $result; message = $(if ($null -eq $message) { '' } else { [string]$message.InnerText }) }
            })
        [pscustomobject]@{ name = [string]$c.GetAttribute('Name'); result = (Get-WorstResult @($tests | ForEach-Object { $_.result })); tests = $tests }
    })
$validated = @($xml.SelectNodes('/Report/Nodes/Node') | ForEach-Object { [string]$_.GetAttribute('Name') })

[pscustomobject]@{
    nodes      = $validated
    reportPath = [string]$report.FullName
    ranAt      = $started.ToString('o')
    result     = (Get-WorstResult @($categories | ForEach-Object { $_.result }))
    categories = $categories
}
