# Twinlock remote script: fix-resync-time
# Version: 2
# Purpose: Resynchronises the clock with the domain hierarchy, or with the given time source, through w32tm.
param($P)

$source = [string]$P.source
# The source reaches w32tm.exe on its command line, where a space, quote or backslash would split it
# or add a flag: only a host name or an IP address is accepted.
if ($source -ne '' -and $source -cnotmatch '^[A-Za-z0-9.:_\-\[\]%]+$') {
    throw "The time source '$source' is not a host name or IP address."
}
Start-Service -Name 'W32Time' -ErrorAction SilentlyContinue
if ($source -ne '') {
    # The source travels as one argument to w32tm.exe, never as PowerShell code.
    & w32tm.exe /config ('/manualpeerlist:' + $source) /syncfromflags:manual /update | Out-Null
} else {
    & w32tm.exe /config /syncfromflags:domhier /update | Out-Null
}
$output = & w32tm.exe /resync /force
if ($LASTEXITCODE -ne 0) {
    throw ('w32tm could not resynchronise the clock: ' + ($output -join ' '))
}

[pscustomobject]@{
    source   = $source
    output   = ($output -join "`n")
    utcAfter = [DateTime]::UtcNow
}
