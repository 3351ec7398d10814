# Twinlock remote script: get-identity
# Version: 1
# Purpose: Names the server and tells whether the SSH account runs as an elevated administrator.
param($P)

$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$os = Get-CimInstance -ClassName Win32_OperatingSystem
# IsInRole is true only for an elevated token; a filtered (UAC) admin token reports false.
$principal = New-Object -TypeName Security.Principal.WindowsPrincipal -ArgumentList @([Security.Principal.WindowsIdentity]::GetCurrent())
$isAdmin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)

[pscustomobject]@{
    computerName = $env:COMPUTERNAME
    domain       = $cs.Domain
    partOfDomain = $cs.PartOfDomain
    osCaption    = $os.Caption
    osBuild      = $os.BuildNumber
    isAdmin      = $isAdmin
    userName     = [Security.Principal.WindowsIdentity]::GetCurrent().Name
    psVersion    = $PSVersionTable.PSVersion.ToString()
}
