# Twinlock remote script: invoke-twinlockctl
# Version: 1
# Purpose: Runs one twinlockctl verb and returns its exit code, its JSON answer and its raw text.
param($P)

if (-not (Test-Path -LiteralPath $P.ctlPath -PathType Leaf)) {
    throw "twinlockctl was not found at $($P.ctlPath). Install the Twinlock agent first."
}

# Windows PowerShell 5.1 passes embedded double quotes to native programs unescaped, so a JSON
# argument such as --links would reach twinlockctl without its quotes; escape them for the C runtime.
$argv = @()
if ($P.arguments) {
    $argv = @($P.arguments | ForEach-Object { ([string]$_) -replace '"', '\"' })
}

$ErrorActionPreference = 'Continue'
$lines = & $P.ctlPath @argv 2>$null
$exitCode = $LASTEXITCODE
$ErrorActionPreference = 'Stop'

$text = (@($lines) | ForEach-Object { [string]$_ }) -join "`n"
$output = $null
if ($text.Trim() -ne '') {
    try { $output = $text | ConvertFrom-Json } catch { $output = $null }
}

[pscustomobject]@{
    exitCode = $exitCode
    output   = $output
    text     = $text
}
