# Twinlock remote script: test-agent-package
# Version: 2
# Purpose: Hashes an uploaded agent package, reads its Authenticode signature on the server and compares its signer with the pinned thumbprint.
param($P)

$path = [string]$P.path
# The publisher Twinlock pinned, never the one the package's own manifest names.
$trustedThumbprint = [string]$P.trustedThumbprint
if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
    return [pscustomobject]@{
        path            = $path
        exists          = $false
        size            = 0
        sha256          = $null
        signatureStatus = $null
        statusMessage   = $null
        signer          = $null
        signerTrusted   = $false
    }
}

$item = Get-Item -LiteralPath $path
$hash = Get-FileHash -LiteralPath $path -Algorithm SHA256
$signature = Get-AuthenticodeSignature -LiteralPath $path
$signer = $null
$signerTrusted = $false
if ($signature.SignerCertificate) {
    $signerTrusted = ($trustedThumbprint -ne '') -and ($signature.SignerCertificate.Thumbprint -eq $trustedThumbprint) -and ([string]$signature.Status -eq 'Valid')
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
    signerTrusted   = $signerTrusted
}
