# Twinlock remote script: get-identity
# Version: 2
# Purpose: Names the server, tells whether the SSH account runs as an elevated administrator, and when the server last booted.
param($P)

$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$os = Get-CimInstance -ClassName Win32_OperatingSystem
# IsInRole is true only for an elevated token; a filtered (UAC) admin token reports false.
$principal = New-Object -TypeName Security.Principal.WindowsPrincipal -ArgumentList @([Security.Principal.WindowsIdentity]::GetCurrent())
$isAdmin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)

# A restart moves lastBootUpTime: a resumed installation reads it to tell whether its restart already happened.
[pscustomobject]@{
    computerName   = $env:COMPUTERNAME
    domain         = $cs.Domain
    partOfDomain   = $cs.PartOfDomain
    osCaption      = $os.Caption
    osBuild        = $os.BuildNumber
    isAdmin        = $isAdmin
    userName       = [Security.Principal.WindowsIdentity]::GetCurrent().Name
    psVersion      = $PSVersionTable.PSVersion.ToString()
    lastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')
}
