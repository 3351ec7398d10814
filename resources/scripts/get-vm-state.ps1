# Twinlock remote script: get-vm-state
# Version: 1
# Purpose: Reads the state, uptime and addresses of the named Hyper-V VMs (names verbatim), to watch a failover drill from outside.
param($P)

# Without the Hyper-V module there is no VM to find: an answer, not a failure.
$hyperV = $null -ne (Get-Command -Name Get-VM -ErrorAction SilentlyContinue)
$all = @()
if ($hyperV) { $all = @(Get-VM) }
$vms = foreach ($name in @($P.names)) {
    # Get-VM -Name reads wildcards ([, *, ?): the names are compared verbatim instead.
    $vm = $all | Where-Object { $_.Name -ceq [string]$name } | Select-Object -First 1
    if ($null -eq $vm) {
        [pscustomobject]@{ name = [string]$name; found = $false; state = $null; uptimeSeconds = 0; addresses = @() }
        continue
    }
    $addresses = @($vm.NetworkAdapters | ForEach-Object { $_.IPAddresses } | Where-Object { $_ })
    [pscustomobject]@{
        name          = [string]$vm.Name
        found         = $true
        # VMState as a number (2 Running, 3 Off, 6 Saved, 9 Paused), as ConvertTo-Json prints the enum.
        state         = [int]$vm.State
        uptimeSeconds = [int64][math]::Floor([double]$vm.Uptime.TotalSeconds)
        addresses     = [string[]]$addresses
    }
}
[pscustomobject]@{
    computerName = $env:COMPUTERNAME
    hyperV       = $hyperV
    vms          = @($vms)
}
