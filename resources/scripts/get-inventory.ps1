# Twinlock remote script: get-inventory
# Version: 3
# Purpose: Reads hardware, firmware, operating system, updates, roles, adapters, storage, VMs and settings in one round trip.
param($P)

# Each section fails on its own: an unreadable WMI class must not hide the rest of the inventory.
function Read-Section {
    param([scriptblock]$Body)
    try {
        & $Body
    } catch {
        [pscustomobject]@{ error = $_.Exception.Message }
    }
}

$processor = Read-Section {
    # One object per socket; Caption carries family, model and stepping ("Intel64 Family 6 Model 106 Stepping 6").
    Get-CimInstance -ClassName Win32_Processor -ErrorAction Stop | Select-Object -Property @(
        'Manufacturer', 'Name', 'Caption', 'Description', 'Family', 'NumberOfCores',
        'NumberOfLogicalProcessors', 'MaxClockSpeed', 'VirtualizationFirmwareEnabled',
        'SecondLevelAddressTranslationExtensions', 'ProcessorId', 'SocketDesignation')
}

$cpuRegistry = Read-Section {
    # 'Update Revision' is REG_BINARY: ConvertTo-Json prints its bytes as an array of numbers.
    Get-ItemProperty -Path 'HKLM:\HARDWARE\DESCRIPTION\System\CentralProcessor\0' -ErrorAction Stop | Select-Object -Property @(
        'Update Revision', 'VendorIdentifier', 'Identifier', 'ProcessorNameString', '~MHz')
}

$computerSystem = Read-Section {
    Get-CimInstance -ClassName Win32_ComputerSystem -ErrorAction Stop | Select-Object -Property @(
        'Domain', 'PartOfDomain', 'Manufacturer', 'Model', 'NumberOfProcessors',
        'NumberOfLogicalProcessors', 'TotalPhysicalMemory', 'HypervisorPresent')
}

$bios = Read-Section {
    Get-CimInstance -ClassName Win32_BIOS -ErrorAction Stop | Select-Object -Property @(
        'Manufacturer', 'SMBIOSBIOSVersion', 'ReleaseDate', 'SerialNumber')
}

$memory = Read-Section {
    $modules = @(Get-CimInstance -ClassName Win32_PhysicalMemory -ErrorAction Stop)
    [pscustomobject]@{
        modules       = $modules.Count
        capacityBytes = ($modules | Measure-Object -Property Capacity -Sum).Sum
        speedMhz      = ($modules | Measure-Object -Property ConfiguredClockSpeed -Minimum).Minimum
    }
}

$os = Read-Section {
    Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop | Select-Object -Property @(
        'Caption', 'Version', 'BuildNumber', 'OSArchitecture', 'LastBootUpTime', 'LocalDateTime')
}

$currentVersion = Read-Section {
    Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -ErrorAction Stop | Select-Object -Property @(
        'ProductName', 'EditionID', 'InstallationType', 'CurrentBuild', 'UBR', 'DisplayVersion')
}

$regional = Read-Section {
    [pscustomobject]@{
        systemLocale = (Get-WinSystemLocale).Name
        timeZone     = [System.TimeZoneInfo]::Local.Id
    }
}

$hotfixes = Read-Section {
    Get-HotFix -ErrorAction Stop | Select-Object -Property @('HotFixID', 'Description', 'InstalledOn')
}

$updateFiles = Read-Section {
    # Updates the admin staged for Twinlock to install (see the install-hotfix fix).
    $folder = Join-Path -Path $env:ProgramData -ChildPath 'Twinlock\updates'
    if (Test-Path -LiteralPath $folder) {
        Get-ChildItem -LiteralPath $folder -Filter '*.msu' -File | Select-Object -Property @('FullName', 'Name', 'Length')
    }
}

$features = Read-Section {
    # InstallState is an enum: ConvertTo-Json prints its number, so Installed travels as well.
    Get-WindowsFeature -Name @('Hyper-V', 'Failover-Clustering') -ErrorAction Stop | Select-Object -Property @(
        'Name', 'DisplayName', 'Installed', 'InstallState')
}

$adapters = Read-Section {
    Get-NetAdapter -ErrorAction Stop | Select-Object -Property @(
        'Name', 'InterfaceDescription', 'ifIndex', 'Status', 'LinkSpeed', 'Speed', 'MacAddress',
        'MediaConnectionState', 'DriverVersion')
}

$addresses = Read-Section {
    Get-NetIPAddress -AddressFamily IPv4 -ErrorAction Stop | Select-Object -Property @(
        'InterfaceAlias', 'InterfaceIndex', 'IPAddress', 'PrefixLength', 'PrefixOrigin')
}

$routes = Read-Section {
    # The whole IPv4 routing table: the adapter holding the default route (0.0.0.0/0) carries the
    # business network, and a sync link's proposed subnet must not overlap any route already there.
    Get-NetRoute -AddressFamily IPv4 -ErrorAction Stop | Select-Object -Property @(
        'DestinationPrefix', 'InterfaceAlias', 'InterfaceIndex', 'NextHop', 'RouteMetric')
}

$disks = Read-Section {
    # BusType and MediaType are enums: ConvertTo-Json prints their numbers.
    Get-PhysicalDisk -ErrorAction Stop | Select-Object -Property @(
        'DeviceId', 'FriendlyName', 'Model', 'Size', 'BusType', 'MediaType')
}

$volumes = Read-Section {
    Get-Volume -ErrorAction Stop | Where-Object { $_.DriveType -eq 'Fixed' } | Select-Object -Property @(
        'DriveLetter', 'FileSystemLabel', 'FileSystem', 'Size', 'SizeRemaining')
}

$vms = Read-Section {
    # Get-VM exists only where the Hyper-V PowerShell module is installed.
    if (Get-Command -Name 'Get-VM' -ErrorAction SilentlyContinue) {
        Get-VM | Select-Object -Property @('Name', 'State', 'MemoryStartup', 'MemoryAssigned', 'ProcessorCount', 'Generation')
    }
}

$pendingReboot = Read-Section {
    $sessionManager = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -ErrorAction SilentlyContinue
    [pscustomobject]@{
        componentBasedServicing = Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
        windowsUpdate           = Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
        # The value exists only while renames wait; reading a missing property fails under strict mode.
        fileRename              = ($null -ne $sessionManager) -and ($null -ne $sessionManager.PSObject.Properties['PendingFileRenameOperations'])
    }
}

$firewall = Read-Section {
    # Enabled is a GpoBoolean enum (0 False, 1 True, 2 NotConfigured): ConvertTo-Json prints its number.
    Get-NetFirewallProfile -ErrorAction Stop | Select-Object -Property @('Name', 'Enabled', 'DefaultInboundAction')
}

$agentFirewall = Read-Section {
    Get-NetFirewallRule -Group 'Twinlock Agent' -ErrorAction SilentlyContinue | Where-Object { $_.Enabled -eq 'True' } | ForEach-Object {
        [pscustomobject]@{
            Name      = $_.Name
            Direction = [string]$_.Direction
            Action    = [string]$_.Action
            LocalPort = @(($_ | Get-NetFirewallPortFilter).LocalPort)
        }
    }
}

$powerPlan = Read-Section {
    Get-CimInstance -Namespace 'root\cimv2\power' -ClassName Win32_PowerPlan -Filter 'IsActive = TRUE' -ErrorAction Stop |
        Select-Object -Property @('ElementName', 'InstanceID')
}

$agent = Read-Section {
    $keys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*')
    Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue |
        Where-Object { $_.PSObject.Properties['DisplayName'] -and $_.DisplayName -like 'Twinlock*Agent*' } |
        Select-Object -Property @('DisplayName', 'DisplayVersion', 'PSChildName', 'Publisher')
}

[pscustomobject]@{
    computerName   = $env:COMPUTERNAME
    collectedAtUtc = [DateTime]::UtcNow
    processor      = $processor
    cpuRegistry    = $cpuRegistry
    computerSystem = $computerSystem
    bios           = $bios
    memory         = $memory
    os             = $os
    currentVersion = $currentVersion
    regional       = $regional
    hotfixes       = $hotfixes
    updateFiles    = $updateFiles
    features       = $features
    adapters       = $adapters
    addresses      = $addresses
    routes         = $routes
    disks          = $disks
    volumes        = $volumes
    vms            = $vms
    pendingReboot  = $pendingReboot
    firewall       = $firewall
    agentFirewall  = $agentFirewall
    powerPlan      = $powerPlan
    agent          = $agent
}
