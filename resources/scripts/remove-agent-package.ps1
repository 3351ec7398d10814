# Twinlock remote script: remove-agent-package
# Version: 1
# Purpose: Removes an uploaded agent package and the agent's firewall rules, leaving the server as before the installation.
param($P)

$removedFiles = @()
foreach ($path in @($P.paths)) {
    if ($path -and (Test-Path -LiteralPath $path -PathType Leaf)) {
        Remove-Item -LiteralPath $path -Force
        $removedFiles += [string]$path
    }
}

# An empty group means: leave the firewall alone (an older agent's rules stay with it).
$rules = @()
if ($P.firewallGroup) {
    $rules = @(Get-NetFirewallRule -Group $P.firewallGroup -ErrorAction SilentlyContinue)
}
if ($rules.Count -gt 0) {
    $rules | Remove-NetFirewallRule
}
$remaining = 0
if ($P.firewallGroup) {
    $remaining = @(Get-NetFirewallRule -Group $P.firewallGroup -ErrorAction SilentlyContinue).Count
}

[pscustomobject]@{
    removedFiles = $removedFiles
    removedRules = $rules.Count
    remaining    = $remaining
}
