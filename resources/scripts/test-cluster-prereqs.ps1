# Twinlock remote script: test-cluster-prereqs
# Version: 1
# Purpose: Reads what a failover cluster needs on this server: domain or workgroup and DNS suffix, the Failover Clustering feature, the account and the directory, the cluster address and name, and the storage the VMs are on.
param($P)

$clusterName = [string]$P.clusterName
$clusterAddress = [string]$P.clusterAddress
$vmNames = @($P.vms | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
$sharePaths = @()
if ($null -ne $P.PSObject.Properties['sharePaths']) { $sharePaths = @($P.sharePaths | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ }) }

if ($clusterAddress -ne '') {
    $parsed = $null
    if ($clusterAddress -notmatch '^\d{1,3}(\.\d{1,3}){3}$' -or -not [System.Net.IPAddress]::TryParse($clusterAddress, [ref]$parsed)) {
        throw "The cluster address '$clusterAddress' is not an IPv4 address such as 10.0.0.50."
    }
}

function ConvertTo-LdapValue {
    # RFC 4515: a value in a search filter escapes \ * ( ) and NUL, so a name can never widen the search.
    param([string]$Value)
    $Value.Replace('\', '\5c').Replace('*', '\2a').Replace('(', '\28').Replace(')', '\29').Replace([string][char]0, '\00')
}

function ConvertTo-AddressNumber {
    param([string]$Address)
    $n = [uint64]0
    foreach ($part in $Address.Split('.')) { $n = $n * 256 + [uint64]$part }
    $n
}

$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$partOfDomain = [bool]$cs.PartOfDomain

# The primary DNS suffix: 'NV Domain' is the one configured, Domain the one in effect.
$tcpip = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
$nvDomain = $tcpip.PSObject.Properties['NV Domain']
$activeDomain = $tcpip.PSObject.Properties['Domain']
$dnsSuffix = ''
if ($null -ne $nvDomain -and [string]$nvDomain.Value -ne '') { $dnsSuffix = [string]$nvDomain.Value }
elseif ($null -ne $activeDomain) { $dnsSuffix = [string]$activeDomain.Value }

$feature = @(Get-WindowsFeature -Name 'Failover-Clustering')
$featureAvailable = $feature.Count -gt 0 -and [string]$feature[0].InstallState -ne 'Removed'
$featureInstalled = $feature.Count -gt 0 -and [bool]$feature[0].Installed

$accountName = [Security.Principal.WindowsIdentity]::GetCurrent().Name
$account = [pscustomobject]@{ name = $accountName; local = (($accountName -split '\\')[0] -ieq $env:COMPUTERNAME) }

# The directory through System.DirectoryServices (no RSAT module needed): this computer's container,
# whether the account may create computer objects there (allowedChildClassesEffective is the
# directory's own answer for the account's token), and any object already named like the cluster.
$clusterObject = 'not-checked'
$canCreateComputer = $false
$container = ''
$directoryError = ''
if ($partOfDomain) {
    try {
        $self = ([adsisearcher]('(&(objectCategory=computer)(sAMAccountName=' + (ConvertTo-LdapValue $env:COMPUTERNAME) + '$))')).FindOne()
        if ($null -ne $self) {
            $dn = [string]$self.Properties['distinguishedname'][0]
            $container = $dn.Substring($dn.IndexOf(',') + 1)
            $entry = [adsi]('LDAP://' + $container)
            $entry.psbase.RefreshCache([string[]]@('allowedChildClassesEffective'))
            $canCreateComputer = @($entry.psbase.Properties['allowedChildClassesEffective']) -contains 'computer'
        }
        if ($clusterName -ne '') {
            $searcher = [adsisearcher]('(&(objectCategory=computer)(sAMAccountName=' + (ConvertTo-LdapValue $clusterName) + '$))')
            $null = $searcher.PropertiesToLoad.Add('userAccountControl')
            $found = $searcher.FindOne()
            # userAccountControl bit 2 (ACCOUNTDISABLE): a prestaged cluster name waits disabled for its cluster.
            $clusterObject = if ($null -eq $found) { 'missing' } elseif (([int]$found.Properties['useraccountcontrol'][0] -band 2) -ne 0) { 'prestaged' } else { 'taken' }
        }
    } catch {
        # No directory to read (a key logon's token carries no network credentials, or no domain
        # controller answers): Windows' own message, and nothing reported as checked.
        $e = $_.Exception
        while ($null -ne $e.InnerException) { $e = $e.InnerException }
        $directoryError = ([string]$e.Message).Trim()
        $clusterObject = 'not-checked'
        $canCreateComputer = $false
        $container = ''
    }
}
$directory = [pscustomobject]@{ clusterObject = $clusterObject; canCreateComputer = $canCreateComputer; container = $container; error = $directoryError }

$inUse = $false
$onLinkAdapter = $null
if ($clusterAddress -ne '') {
    $inUse = [bool](Test-Connection -ComputerName $clusterAddress -Count 1 -Quiet)
    $target = ConvertTo-AddressNumber $clusterAddress
    foreach ($ip in @(Get-NetIPAddress -AddressFamily IPv4)) {
        if ([string]$ip.IPAddress -like '127.*') { continue }
        $size = [uint64][Math]::Pow(2, 32 - [int]$ip.PrefixLength)
        if ([Math]::Floor((ConvertTo-AddressNumber ([string]$ip.IPAddress)) / $size) -eq [Math]::Floor($target / $size)) {
            $onLinkAdapter = [string]$ip.InterfaceAlias
            break
        }
    }
}
$address = [pscustomobject]@{ inUse = $inUse; onLinkAdapter = $onLinkAdapter }

# A name that does not resolve, for whatever reason, resolves to nothing.
$nameResolves = @()
if ($clusterName -ne '') {
    $nameResolves = @(Resolve-DnsName -Name $clusterName -Type A -DnsOnly -QuickTimeout -ErrorAction SilentlyContinue | Where-Object { [string]$_.Type -eq 'A' } | ForEach-Object { [string]$_.IPAddress })
}

# Get-Disk's BusType is a number (MSFT_Disk) unless a formatter made it a name.
$busNames = @{ 6 = 'Fibre Channel'; 9 = 'iSCSI'; 10 = 'SAS' }
$sharedDisks = @(Get-Disk | ForEach-Object {
        $bus = $_.BusType
        $name = if ($bus -is [string]) { $bus } elseif ($busNames.ContainsKey([int]$bus)) { $busNames[[int]$bus] } else { '' }
        if (@('iSCSI', 'SAS', 'Fibre Channel') -contains $name) {
            [pscustomobject]@{ number = [int]$_.Number; uniqueId = [string]$_.UniqueId; busType = $name; sizeBytes = [uint64]$_.Size }
        }
    })
$poolableDisks = @(Get-PhysicalDisk -CanPool $true).Count

$vmPaths = [ordered]@{}
if ($null -ne (Get-Command -Name 'Get-VM' -ErrorAction SilentlyContinue)) {
    $all = @(Get-VM)
    foreach ($name in $vmNames) {
        # Get-VM -Name reads wildcards: the names are compared verbatim instead.
        $vm = @($all | Where-Object { [string]$_.Name -ceq $name }) | Select-Object -First 1
        if ($null -eq $vm -or $vmPaths.Contains($name)) { continue }
        $vmPaths[$name] = @(@([string]$vm.Path) + @(Get-VMHardDiskDrive -VM $vm | ForEach-Object { [string]$_.Path }))
    }
}

# Each SMB share the VMs' files are on (and each the caller names): reached, written, SMB 3.
$roots = [System.Collections.Generic.List[string]]::new()
foreach ($path in @(@($vmPaths.Values | ForEach-Object { $_ }) + $sharePaths)) {
    if ([string]$path -match '^\\\\([^\\]+)\\([^\\]+)') {
        $root = '\\' + $Matches[1] + '\' + $Matches[2]
        if (@($roots | Where-Object { $_ -ieq $root }).Count -eq 0) { $roots.Add($root) }
    }
}
$smbShares = @(foreach ($root in $roots) {
        $reachable = $false
        $smb3 = $false
        if (Test-Path -LiteralPath $root -PathType Container) {
            $probe = $root + '\twinlock-probe-' + [guid]::NewGuid().ToString('N') + '.tmp'
            try {
                Set-Content -LiteralPath $probe -Value 'Twinlock storage check' -ErrorAction Stop
                Remove-Item -LiteralPath $probe -Force -ErrorAction Stop
                $reachable = $true
            } catch {
                $reachable = $false
            }
            $parts = $root.TrimStart('\').Split('\')
            foreach ($c in @(Get-SmbConnection -ServerName $parts[0] -ShareName $parts[1] -ErrorAction SilentlyContinue)) {
                if ([version][string]$c.Dialect -ge [version]'3.0') { $smb3 = $true }
            }
        }
        [pscustomobject]@{ path = $root; reachable = $reachable; smb3 = $smb3 }
    })

$csvPaths = @()
if (Test-Path -LiteralPath 'C:\ClusterStorage' -PathType Container) {
    $csvPaths = @(Get-ChildItem -LiteralPath 'C:\ClusterStorage' -Directory | ForEach-Object { [string]$_.FullName })
}
$storage = [pscustomobject]@{ sharedDisks = $sharedDisks; poolableDisks = $poolableDisks; vmPaths = $vmPaths; smbShares = $smbShares; csvPaths = $csvPaths }

[pscustomobject]@{
    computerName     = $env:COMPUTERNAME
    partOfDomain     = $partOfDomain
    domain           = [string]$cs.Domain
    dnsSuffix        = $dnsSuffix
    featureAvailable = $featureAvailable
    featureInstalled = $featureInstalled
    account          = $account
    directory        = $directory
    address          = $address
    nameResolves     = $nameResolves
    storage          = $storage
}
