$ProgressPreference='SilentlyContinue';$ErrorActionPreference='Stop'
[Console]::OutputEncoding=New-Object Text.UTF8Encoding $false
$i=[Console]::In;$P=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($i.ReadLine()))|ConvertFrom-Json
$S=[ScriptBlock]::Create($i.ReadToEnd())
try{$R=& $S $P;ConvertTo-Json -InputObject @{ok=$true;data=$R} -Depth 10 -Compress}catch{ConvertTo-Json -InputObject @{ok=$false;error=@{message=$_.Exception.Message;category=[string]$_.CategoryInfo.Category;id=[string]$_.FullyQualifiedErrorId}} -Compress;exit 1}
