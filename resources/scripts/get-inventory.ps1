# Twinlock remote script: get-inventory
# Version: 1
# Purpose: Reads hardware, operating system, roles, adapters, VMs and the agent version in one round trip.
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
    Get-CimInstance -ClassName Win32_Processor | Select-Object -Property @(
        'Manufacturer', 'Name', 'Caption', 'Description', 'Family', 'NumberOfCores',
        'NumberOfLogicalProcessors', 'MaxClockSpeed', 'VirtualizationFirmwareEnabled',
        'SecondLevelAddressTranslationExtensions', 'ProcessorId', 'SocketDesignation')
}

$computerSystem = Read-Section {
    Get-CimInstance -ClassName Win32_ComputerSystem | Select-Object -Property @(
        'Domain', 'PartOfDomain', 'Manufacturer', 'Model', 'NumberOfProcessors',
        'NumberOfLogicalProcessors', 'TotalPhysicalMemory', 'HypervisorPresent')
}

$memory = Read-Section {
    $modules = @(Get-CimInstance -ClassName Win32_PhysicalMemory)
    [pscustomobject]@{
        modules       = $modules.Count
        capacityBytes = ($modules | Measure-Object -Property Capacity -Sum).Sum
    }
}

$os = Read-Section {
    Get-CimInstance -ClassName Win32_OperatingSystem | Select-Object -Property @(
        'Caption', 'Version', 'BuildNumber', 'OSArchitecture', 'LastBootUpTime', 'LocalDateTime')
}

$currentVersion = Read-Section {
    Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' | Select-Object -Property @(
        'ProductName', 'EditionID', 'InstallationType', 'CurrentBuild', 'UBR', 'DisplayVersion')
}

$features = Read-Section {
    # InstallState is an enum: ConvertTo-Json prints its number, so Installed travels as well.
    Get-WindowsFeature -Name @('Hyper-V', 'Failover-Clustering') | Select-Object -Property @(
        'Name', 'DisplayName', 'Installed', 'InstallState')
}

$adapters = Read-Section {
    Get-NetAdapter | Select-Object -Property @(
        'Name', 'InterfaceDescription', 'ifIndex', 'Status', 'LinkSpeed', 'Speed', 'MacAddress', 'MediaConnectionState')
}

$addresses = Read-Section {
    Get-NetIPAddress -AddressFamily IPv4 | Select-Object -Property @(
        'InterfaceAlias', 'InterfaceIndex', 'IPAddress', 'PrefixLength', 'PrefixOrigin')
}

$vms = Read-Section {
    # Get-VM exists only where the Hyper-V PowerShell module is installed.
    if (Get-Command -Name 'Get-VM' -ErrorAction SilentlyContinue) {
        Get-VM | Select-Object -Property @('Name', 'State', 'MemoryStartup', 'MemoryAssigned', 'ProcessorCount', 'Generation')
    }
}

$agent = Read-Section {
    $keys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*')
    Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue |
        Where-Object { $_.DisplayName -like 'Twinlock*Agent*' } |
        Select-Object -Property @('DisplayName', 'DisplayVersion', 'PSChildName', 'Publisher')
}

[pscustomobject]@{
    computerName   = $env:COMPUTERNAME
    collectedAtUtc = [DateTime]::UtcNow
    processor      = $processor
    computerSystem = $computerSystem
    memory         = $memory
    os             = $os
    currentVersion = $currentVersion
    features       = $features
    adapters       = $adapters
    addresses      = $addresses
    vms            = $vms
    agent          = $agent
}
