# Pester: every `throw` in resources/scripts is reached, on a shimmed server, with the message the
# script means. The cases (script, its stdin as the engine builds it, the server document, the
# line of the throw they must reach) come from test/powershell/pester.test.ts; PowerShell's own
# parser finds the throws, so a new throw without a case fails here.
param(
    [Parameter(Mandatory)][string]$ScriptsDir,
    [Parameter(Mandatory)][string]$Bootstrap,
    [Parameter(Mandatory)][string]$ShimPath,
    [Parameter(Mandatory)][object[]]$Cases
)

BeforeDiscovery {
    $throws = foreach ($file in Get-ChildItem -LiteralPath $ScriptsDir -Filter '*.ps1') {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
        foreach ($t in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.ThrowStatementAst] }, $true)) {
            @{ script = $file.BaseName; line = $t.Extent.StartLineNumber; text = $t.Extent.Text }
        }
    }
    $caseData = @($Cases | ForEach-Object { @{ case = $_; label = "$($_.script) line $($_.line)" } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TierCase.ps1')
    $runspace = New-TierRunspace -ShimPath $ShimPath
    $bootstrapFile = Join-Path ([System.IO.Path]::GetTempPath()) ('twinlock-pester-bootstrap-' + [guid]::NewGuid().ToString('N') + '.ps1')
    [System.IO.File]::WriteAllText($bootstrapFile, $Bootstrap, [System.Text.UTF8Encoding]::new($false))
}

AfterAll {
    $runspace.Dispose()
    Remove-Item -LiteralPath $bootstrapFile -Force
}

Describe 'every throw in resources/scripts has a case' {
    It '<script> line <line>: <text>' -ForEach $throws {
        @($Cases | Where-Object { $_.script -eq $script -and $_.line -eq $line }).Count | Should -BeGreaterThan 0 -Because 'each throw needs a case that reaches it'
    }
}

Describe 'each case reaches its throw' {
    It '<label>' -ForEach $caseData {
        $result = Invoke-TierCase -Runspace $runspace -BootstrapFile $bootstrapFile -ServerJson $case.server -Stdin $case.stdin
        $result.exitCode | Should -Be 1
        $envelope = ($result.stdout.Trim() -split "`r?`n")[-1] | ConvertFrom-Json
        $envelope.ok | Should -BeFalse
        $envelope.error.message | Should -BeLikeExactly $case.message
        # `throw "text"`: PowerShell reports OperationStopped with the text as the error id.
        $envelope.error.category | Should -Be 'OperationStopped'
        $envelope.error.id | Should -Be $envelope.error.message
        # The throw named by the case is the one that fired: its text builds this message.
        $source = [System.IO.File]::ReadAllLines((Join-Path $ScriptsDir "$($case.script).ps1"))[$case.line - 1]
        $source | Should -Match 'throw'
        $fixed = (($source -replace '^.*?throw\s+\(?[''"]?', '') -split '\$|\(|''|"')[0].Trim()
        $envelope.error.message | Should -BeLike "*$fixed*"
    }
}
