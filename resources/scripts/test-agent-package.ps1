# Twinlock remote script: test-agent-package
# Version: 1
# Purpose: Hashes an uploaded agent package and reads its Authenticode signature on the server.
param($P)

$path = [string]$P.path
if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
    return [pscustomobject]@{
        path            = $path
        exists          = $false
        size            = 0
        sha256          = $null
        signatureStatus = $null
        statusMessage   = $null
        signer          = $null
    }
}

$item = Get-Item -LiteralPath $path
$hash = Get-FileHash -LiteralPath $path -Algorithm SHA256
$signature = Get-AuthenticodeSignature -LiteralPath $path
$signer = $null
if ($signature.SignerCertificate) {
    $signer = [pscustomobject]@{
        subject    = $signature.SignerCertificate.Subject
        thumbprint = $signature.SignerCertificate.Thumbprint
    }
}

[pscustomobject]@{
    path            = $path
    exists          = $true
    size            = $item.Length
    # Get-FileHash prints upper case; the manifest carries lower case like sha256sum.
    sha256          = $hash.Hash.ToLowerInvariant()
    signatureStatus = [string]$signature.Status
    statusMessage   = $signature.StatusMessage
    signer          = $signer
}
