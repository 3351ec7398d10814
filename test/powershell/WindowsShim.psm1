# Windows shim for the PowerShell tier: the Windows-only commands resources/scripts/*.ps1 call,
# answered from one lab server document (the lab profile JSON of that server, merged with its
# defaults, plus the server's live state: products, services, firewall rules, files on its C:
# drive). Objects are shaped as Windows PowerShell 5.1 returns them (enums where Windows has
# enums, CIM DateTimes, registry values), every change a script asks for is recorded, and faults
# make a command fail the way Windows fails (access denied, feature missing, file locked,
# msiexec 1603, a service that will not start).
#
# Loaded into the runspace before the bootstrap runs: on a server these commands come from
# modules Windows PowerShell loads on first use (CimCmdlets, ServerManager, NetAdapter,
# NetSecurity, Storage, Hyper-V) or from the Windows file system and registry providers.

Set-StrictMode -Version Latest

if (-not ('TwinlockShim.Direction' -as [type])) {
    Add-Type -TypeDefinition @'
namespace TwinlockShim {
    // NetSecurity enums (MSFT_NetFirewallRule): [string] gives the name, ConvertTo-Json the number.
    public enum Direction { Inbound = 1, Outbound = 2 }
    public enum Action { NotConfigured = 0, Allow = 2, Block = 4 }
    public enum Enabled { True = 1, False = 2 }
    // System.ServiceProcess enums.
    public enum ServiceControllerStatus { Stopped = 1, StartPending = 2, StopPending = 3, Running = 4, ContinuePending = 5, PausePending = 6, Paused = 7 }
    public enum ServiceStartMode { Boot = 0, System = 1, Automatic = 2, Manual = 3, Disabled = 4 }
    // Microsoft.Windows.ServerManager.Commands enums.
    public enum InstallState { Available = 0, Installed = 1, InstallPending = 2, Removed = 3, UninstallPending = 4 }
    public enum RestartState { No = 0, Yes = 1, Maybe = 2 }
    public enum FeatureOperationExitCode { Success = 0, NoChangeNeeded = 1001, SuccessRestartRequired = 3010, Failed = 1 }
    // System.Management.Automation.SignatureStatus.
    public enum SignatureStatus { Valid = 0, UnknownError = 1, NotSigned = 2, HashMismatch = 3, NotTrusted = 4, NotSupportedFileFormat = 5, Incompatible = 6 }

    // Stand-ins for .NET members that exist only on Windows (see PLATFORM_SUBSTITUTIONS in tier.ts).
    public class WindowsIdentity {
        public static string CurrentName = "";
        public static bool CurrentIsAdmin = false;
        public string Name { get { return CurrentName; } }
        public static WindowsIdentity GetCurrent() { return new WindowsIdentity(); }
    }
    public class WindowsPrincipal {
        public WindowsPrincipal(WindowsIdentity identity) { }
        public bool IsInRole(System.Security.Principal.WindowsBuiltInRole role) {
            return role == System.Security.Principal.WindowsBuiltInRole.Administrator && WindowsIdentity.CurrentIsAdmin;
        }
    }
    public static class WindowsPath {
        // Path.GetFullPath as Windows resolves an absolute drive path: '/' is '\', '.' and '..' go.
        public static string GetFullPath(string path) {
            // .NET Framework (Windows PowerShell 5.1) refuses these before anything else.
            foreach (char c in path) {
                if (c == '"' || c == '<' || c == '>' || c == '|' || c < ' ') throw new System.ArgumentException("Illegal characters in path.");
            }
            string p = path.Replace('/', '\\');
            if (p.Length < 3 || p[1] != ':' || p[2] != '\\') throw new System.ArgumentException("The shim resolves only absolute drive paths: " + path);
            var parts = new System.Collections.Generic.List<string>();
            foreach (string part in p.Substring(3).Split('\\')) {
                if (part == "" || part == ".") continue;
                if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
                parts.Add(part);
            }
            return p.Substring(0, 3) + string.Join("\\", parts);
        }
    }
    public class TimeZoneInfo {
        public static string LocalId = "UTC";
        public string Id { get { return LocalId; } }
        public static TimeZoneInfo Local { get { return new TimeZoneInfo(); } }
    }

    // System.Diagnostics.Process as a script drives a native program through redirected pipes:
    // the program runs once its standard input is closed (twinlockctl reads it to the end before
    // it answers), with the bytes written to it; the shim's Runner (set by Initialize-WindowsShim)
    // answers for the program. The members are those a script may touch, with .NET's errors.
    public delegate string[] ProcessRunner(string fileName, string arguments, byte[] stdin);

    public class ProcessInputStream : System.IO.MemoryStream {
        private readonly System.Action<byte[]> closed;
        private bool done;
        public ProcessInputStream(System.Action<byte[]> closed) { this.closed = closed; }
        protected override void Dispose(bool disposing) {
            if (!done) { done = true; byte[] bytes = ToArray(); base.Dispose(disposing); closed(bytes); return; }
            base.Dispose(disposing);
        }
    }

    public class ProcessReader {
        private readonly System.Threading.Tasks.TaskCompletionSource<string> text = new System.Threading.Tasks.TaskCompletionSource<string>();
        public System.Threading.Tasks.Task<string> ReadToEndAsync() { return text.Task; }
        public string ReadToEnd() {
            // A synchronous read before the input is closed waits forever: the program waits for the rest of its input.
            if (!text.Task.IsCompleted) throw new System.InvalidOperationException("The Windows shim: ReadToEnd() before the program's standard input is closed would wait forever.");
            return text.Task.Result;
        }
        internal void Complete(string value) { text.TrySetResult(value); }
    }

    public class Process : System.IDisposable {
        public static ProcessRunner Runner;
        private readonly System.Diagnostics.ProcessStartInfo info;
        private readonly ProcessReader stdout = new ProcessReader();
        private readonly ProcessReader stderr = new ProcessReader();
        private System.IO.StreamWriter stdin;
        private bool exited;
        private int exitCode;

        private Process(System.Diagnostics.ProcessStartInfo info) { this.info = info; }

        public static Process Start(System.Diagnostics.ProcessStartInfo info) {
            if (info.UseShellExecute && (info.RedirectStandardInput || info.RedirectStandardOutput || info.RedirectStandardError)) {
                throw new System.InvalidOperationException("The Process object must have the UseShellExecute property set to false in order to redirect IO streams.");
            }
            Process p = new Process(info);
            if (info.RedirectStandardInput) {
                // .NET Framework's writer uses the console's input code page, not UTF-8: ASCII stands for it here.
                p.stdin = new System.IO.StreamWriter(new ProcessInputStream(p.Run), System.Text.Encoding.ASCII);
                p.stdin.AutoFlush = true;
            } else {
                // The program inherits the session's standard input, which the bootstrap has read to the end.
                p.Run(new byte[0]);
            }
            return p;
        }

        private void Run(byte[] input) {
            string[] answer = Runner(info.FileName, info.Arguments, input);
            exitCode = int.Parse(answer[2], System.Globalization.CultureInfo.InvariantCulture);
            exited = true;
            stdout.Complete(info.RedirectStandardOutput ? answer[0] : "");
            stderr.Complete(info.RedirectStandardError ? answer[1] : "");
        }

        public System.IO.StreamWriter StandardInput {
            get { if (stdin == null) throw new System.InvalidOperationException("StandardIn has not been redirected."); return stdin; }
        }
        public ProcessReader StandardOutput {
            get { if (!info.RedirectStandardOutput) throw new System.InvalidOperationException("StandardOut has not been redirected or the process hasn't started yet."); return stdout; }
        }
        public ProcessReader StandardError {
            get { if (!info.RedirectStandardError) throw new System.InvalidOperationException("StandardError has not been redirected."); return stderr; }
        }
        public bool HasExited { get { return exited; } }
        public int ExitCode {
            get { if (!exited) throw new System.InvalidOperationException("Process must exit before requested information can be determined."); return exitCode; }
        }
        public void WaitForExit() {
            if (!exited) throw new System.InvalidOperationException("The Windows shim: WaitForExit() while the program's standard input is still open would wait forever.");
        }
        public bool WaitForExit(int milliseconds) { return exited; }
        public void Dispose() { }
    }
}
'@
}

if (-not ('TwinlockShim.AdsiSearcher' -as [type])) {
    Add-Type -TypeDefinition @'
namespace TwinlockShim {
    // System.DirectoryServices as test-cluster-prereqs.ps1 uses it ([adsisearcher], [adsi]; see
    // PLATFORM_SUBSTITUTIONS in tier.ts): computer objects found by sAMAccountName, and a
    // container's allowedChildClassesEffective, answered from the server document's directory.
    public class AdsiEntry {
        public string Name; public bool Enabled; public string DistinguishedName;
    }
    public class AdsiSearchResult {
        public System.Collections.Hashtable Properties = new System.Collections.Hashtable(System.StringComparer.OrdinalIgnoreCase);
    }
    public class AdsiSearcher {
        public static System.Collections.Generic.List<AdsiEntry> Entries = new System.Collections.Generic.List<AdsiEntry>();
        public static bool Available = false;
        // A session whose token carries no network credentials (a key logon) is refused the bind.
        public static bool NoCredentials = false;
        public string Filter;
        public System.Collections.Specialized.StringCollection PropertiesToLoad = new System.Collections.Specialized.StringCollection();
        public AdsiSearcher(string filter) { Filter = filter; }
        static string Unescape(string value) {
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < value.Length; i++) {
                if (value[i] == '\\' && i + 2 < value.Length) {
                    sb.Append((char)System.Convert.ToInt32(value.Substring(i + 1, 2), 16)); i += 2;
                } else sb.Append(value[i]);
            }
            return sb.ToString();
        }
        public AdsiSearchResult FindOne() {
            // A computer outside a domain has no directory to search (DirectorySearcher's COMException).
            if (!Available) throw new System.Runtime.InteropServices.COMException("The specified domain either does not exist or could not be contacted.");
            if (NoCredentials) throw new System.Runtime.InteropServices.COMException("An operations error occurred.");
            var m = System.Text.RegularExpressions.Regex.Match(Filter, @"^\(&\(objectCategory=computer\)\(sAMAccountName=(.*)\$\)\)$");
            if (!m.Success) throw new System.ArgumentException("The Windows shim models computer searches by sAMAccountName only: " + Filter);
            string name = Unescape(m.Groups[1].Value);
            foreach (AdsiEntry e in Entries) {
                if (!string.Equals(e.Name, name, System.StringComparison.OrdinalIgnoreCase)) continue;
                var r = new AdsiSearchResult();
                r.Properties["adspath"] = new object[] { "LDAP://" + e.DistinguishedName };
                r.Properties["distinguishedname"] = new object[] { e.DistinguishedName };
                r.Properties["samaccountname"] = new object[] { e.Name.ToUpperInvariant() + "$" };
                // WORKSTATION_TRUST_ACCOUNT (4096), plus ACCOUNTDISABLE (2) for a disabled object.
                r.Properties["useraccountcontrol"] = new object[] { e.Enabled ? 4096 : 4098 };
                return r;
            }
            return null;
        }
    }
    public class Adsi {
        public static string Container = "";
        public static bool CanCreateComputer = false;
        private readonly string path;
        private bool loaded;
        public Adsi(string path) { this.path = path; }
        public void RefreshCache(string[] names) {
            if (!string.Equals(path, "LDAP://" + Container, System.StringComparison.OrdinalIgnoreCase)) throw new System.Runtime.InteropServices.COMException("There is no such object on the server.");
            loaded = true;
        }
        public System.Collections.Hashtable Properties {
            get {
                var h = new System.Collections.Hashtable(System.StringComparer.OrdinalIgnoreCase);
                h["distinguishedName"] = new object[] { path.Substring(7) };
                if (loaded) h["allowedChildClassesEffective"] = CanCreateComputer ? new object[] { "computer", "contact", "group", "user" } : new object[0];
                return h;
            }
        }
    }
}
'@
}

$script:Server = $null
$script:Changes = $null
$script:Faults = $null
$script:State = $null

# ---------------------------------------------------------------- set-up, record, fail

function Initialize-WindowsShim {
    <# Resets the shim to one server document (JSON text) before a script runs. #>
    param([Parameter(Mandatory)][string]$ServerJson)
    $script:Server = ConvertFrom-Json -InputObject $ServerJson
    $script:Changes = [System.Collections.Generic.List[object]]::new()
    $script:Faults = $script:Server.faults
    $p = $script:Server.profile
    $script:State = @{
        firewallRules = [System.Collections.Generic.List[object]]::new()
        powerPlan     = [string]$p.powerPlan
        restartScheduled = [bool]$script:Server.restartScheduled
        services      = @{}
    }
    foreach ($r in @($script:Server.firewallRules)) { $script:State.firewallRules.Add($r) }
    foreach ($s in @($script:Server.services)) { $script:State.services[[string]$s.name] = [pscustomobject]@{ name = $s.name; status = [string]$s.status; startType = [string]$s.startType } }
    [TwinlockShim.WindowsIdentity]::CurrentName = [string]$script:Server.account.userName
    [TwinlockShim.WindowsIdentity]::CurrentIsAdmin = [bool]$script:Server.account.admin
    [TwinlockShim.TimeZoneInfo]::LocalId = [string]$p.os.timeZone
    # Windows' own environment of an SSH session.
    $env:COMPUTERNAME = [string]$p.computerName
    $env:ProgramData = 'C:\ProgramData'
    $env:ProgramFiles = 'C:\Program Files'
    $env:SystemRoot = 'C:\Windows'
    # Get-VM exists only where the Hyper-V PowerShell module is installed (with the role's tools).
    if ([bool]$p.roles.hyperV) {
        Set-Item -Path function:global:Get-VM -Value ${function:Get-ShimVM}
    } elseif (Test-Path -Path function:global:Get-VM) {
        Remove-Item -Path function:global:Get-VM
    }
    # twinlockctl.exe is a native program at a full path; a function of that name answers for it
    # when a script calls it as a command, [TwinlockShim.Process] when a script starts it.
    Set-Item -Path ('function:global:' + 'C:\Program Files\Twinlock\Agent\twinlockctl.exe') -Value ${function:Invoke-ShimTwinlockctl}
    [TwinlockShim.Process]::Runner = [TwinlockShim.ProcessRunner]${function:Invoke-ShimProcess}
    Initialize-ShimCluster
}

function Get-WindowsShimChanges {
    <# What the scripts asked Windows to change since Initialize-WindowsShim, in order. #>
    , $script:Changes.ToArray()
}

function Add-ShimChange {
    param([string]$Command, [hashtable]$Detail)
    $entry = [ordered]@{ command = $Command }
    foreach ($k in $Detail.Keys) { $entry[$k] = $Detail[$k] }
    $script:Changes.Add([pscustomobject]$entry)
}

function Get-ShimFault {
    param([string]$Command)
    if ($null -eq $script:Faults) { return $null }
    $commands = $script:Faults.PSObject.Properties['commands']
    if ($null -eq $commands -or $null -eq $commands.Value) { return $null }
    $fault = $commands.Value.PSObject.Properties[$Command]
    if ($null -eq $fault) { return $null }
    return $fault.Value
}

function Get-ShimFaultValue {
    param([string]$Name)
    if ($null -eq $script:Faults) { return $null }
    $prop = $script:Faults.PSObject.Properties[$Name]
    if ($null -eq $prop) { return $null }
    return $prop.Value
}

function Invoke-ShimFault {
    <# Fails as Windows fails when the test asked this command to: an ErrorRecord with Windows' message, category and id. #>
    param([string]$Command, [System.Management.Automation.PSCmdlet]$Cmdlet)
    $fault = Get-ShimFault -Command $Command
    if ($null -eq $fault) { return }
    $kind = if ($fault.PSObject.Properties['exception']) { [string]$fault.exception } else { '' }
    $exception = switch ($kind) {
        'UnauthorizedAccess' { [System.UnauthorizedAccessException]::new([string]$fault.message) }
        'IO' { [System.IO.IOException]::new([string]$fault.message) }
        'CimException' { [System.Runtime.InteropServices.COMException]::new([string]$fault.message) }
        default { [System.InvalidOperationException]::new([string]$fault.message) }
    }
    $record = [System.Management.Automation.ErrorRecord]::new($exception, [string]$fault.id, [System.Management.Automation.ErrorCategory][string]$fault.category, $Command)
    # A cmdlet's terminating error: the bootstrap (or Read-Section) catches it with its message.
    throw ($record)
}

function New-ShimDate {
    <# A DateTime as CIM and the registry give it: local time (the tier runs with TZ=UTC, as the lab's servers are set). #>
    param([double]$Ms)
    [DateTimeOffset]::FromUnixTimeMilliseconds([long]$Ms).LocalDateTime
}

function ConvertFrom-ShimIsoDate {
    param([string]$IsoDate)
    [DateTime]::SpecifyKind([DateTime]::ParseExact($IsoDate, 'yyyy-MM-dd', [Globalization.CultureInfo]::InvariantCulture), [DateTimeKind]::Local)
}

# ---------------------------------------------------------------- the console

function New-Object {
    <#
    New-Object as PowerShell has it, except that the bootstrap's console set-up can be made to
    fail as on a Windows OpenSSH session without a console: the statement
    `[Console]::OutputEncoding = New-Object Text.UTF8Encoding $false` then throws Windows'
    "The handle is invalid" (fault 'New-Object Text.UTF8Encoding').
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$TypeName, [Parameter(Position = 1)][object[]]$ArgumentList)
    Invoke-ShimFault -Command "New-Object $TypeName" -Cmdlet $PSCmdlet
    if ($PSBoundParameters.ContainsKey('ArgumentList')) {
        Microsoft.PowerShell.Utility\New-Object -TypeName $TypeName -ArgumentList $ArgumentList
    } else {
        Microsoft.PowerShell.Utility\New-Object -TypeName $TypeName
    }
}

# ---------------------------------------------------------------- the C: drive

function ConvertTo-ShimLocalPath {
    <# The file on this machine standing for a Windows path on the server's C: drive (case-insensitive, as NTFS), or $null. #>
    param([string]$Path)
    $p = $Path -replace '/', '\'
    if ($p -notmatch '^[Cc]:\\') { return $null }
    $current = [string]$script:Server.driveRoot
    foreach ($segment in ($p.Substring(3) -split '\\')) {
        if ($segment -eq '' -or $segment -eq '.') { continue }
        if ($segment -eq '..') { return $null }
        $exact = [System.IO.Path]::Combine($current, $segment)
        if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $exact)) {
            $match = $null
            if ([System.IO.Directory]::Exists($current)) {
                $match = [System.IO.Directory]::EnumerateFileSystemEntries($current) |
                    Where-Object { [System.IO.Path]::GetFileName($_) -ieq $segment } | Select-Object -First 1
            }
            if ($match) { $exact = $match }
        }
        $current = $exact
    }
    return $current
}

function Test-ShimLocked {
    param([string]$Path)
    $locked = @(Get-ShimFaultValue -Name 'lockedFiles')
    return @($locked | Where-Object { $_ -and ([string]$_ -ieq $Path) }).Count -gt 0
}

function Stop-ShimLocked {
    param([string]$Path, [System.Management.Automation.PSCmdlet]$Cmdlet, [string]$Id)
    $exception = [System.IO.IOException]::new("The process cannot access the file '$Path' because it is being used by another process.")
    throw ([System.Management.Automation.ErrorRecord]::new($exception, $Id, [System.Management.Automation.ErrorCategory]::WriteError, $Path))
}

function Get-ShimRegistryKey {
    <# The registry as a server's scripts read it: key path -> values, or $null when the key does not exist. #>
    param([string]$Path)
    $p = $script:Server.profile
    $key = ($Path -replace '^HKLM:\\', 'HKEY_LOCAL_MACHINE\').TrimEnd('\')
    switch -Regex ($key) {
        '^HKEY_LOCAL_MACHINE\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0$' {
            $arch = if ($p.processor.manufacturer -eq 'AuthenticAMD') { 'AMD64' } else { 'Intel64' }
            # REG_BINARY: the microcode revision sits in the high four bytes.
            $rev = [uint32]$p.processor.microcode
            [byte[]]$bytes = @(0, 0, 0, 0, ($rev -band 0xff), (($rev -shr 8) -band 0xff), (($rev -shr 16) -band 0xff), (($rev -shr 24) -band 0xff))
            return [ordered]@{
                'Component Information' = [byte[]](0..15 | ForEach-Object { 0 })
                'Identifier'            = "$arch Family $($p.processor.family) Model $($p.processor.model) Stepping $($p.processor.stepping)"
                'Configuration Data'    = [byte[]]@(255, 255, 255, 255)
                'ProcessorNameString'   = [string]$p.processor.name
                'VendorIdentifier'      = [string]$p.processor.manufacturer
                'FeatureSet'            = 0x3d1b3fff
                '~MHz'                  = [int]$p.processor.maxClockMhz
                'Update Revision'       = $bytes
                'Previous Update Revision' = $bytes
                'Platform Specific Field 1' = 1
            }
        }
        '^HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion$' {
            return [ordered]@{
                SystemRoot       = 'C:\Windows'
                BuildBranch      = 'fe_release'
                CurrentBuild     = [string]$p.os.build
                CurrentBuildNumber = [string]$p.os.build
                CurrentType      = 'Multiprocessor Free'
                CurrentVersion   = '6.3'
                DisplayVersion   = [string]$p.os.displayVersion
                EditionID        = [string]$p.os.editionId
                InstallationType = [string]$p.os.installationType
                ProductName      = ([string]$p.os.caption) -replace '^Microsoft ', ''
                UBR              = [int]$p.os.ubr
            }
        }
        '^HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager$' {
            # No PendingFileRenameOperations value: the lab's servers have no file rename waiting.
            return [ordered]@{ BootExecute = @('autocheck autochk *'); CriticalSectionTimeout = 2592000; ObjectDirectories = @('\Windows', '\RPC Control') }
        }
        '^HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending$' {
            if ([bool]$script:Server.pendingReboot) { return [ordered]@{} }
            return $null
        }
        '^HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired$' { return $null }
        '^HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters$' {
            # 'NV Domain' is the primary DNS suffix configured, Domain the one in effect.
            $suffix = [string]$script:Server.clusterPrereqs.dnsSuffix
            return [ordered]@{ DataBasePath = '%SystemRoot%\System32\drivers\etc'; Domain = $suffix; Hostname = [string]$p.computerName; 'NV Domain' = $suffix; 'NV Hostname' = [string]$p.computerName; SearchList = '' }
        }
    }
    return $null
}

function Get-ShimUninstallEntries {
    param([string]$Path)
    $out = @()
    if ($Path -match 'WOW6432Node') { return $out }
    # Windows keeps keys without DisplayName there too (AddressBook, Connection Manager).
    $out += [pscustomobject]@{ PSChildName = 'AddressBook'; PSPath = 'Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\AddressBook' }
    foreach ($product in @($script:Server.products)) {
        if ($null -eq $product) { continue }
        $out += [pscustomobject]@{
            AuthorizedCDFPrefix = ''
            Comments            = ''
            DisplayName         = [string]$product.name
            DisplayVersion      = [string]$product.version
            EstimatedSize       = 18432
            InstallDate         = [string]$product.installDate
            InstallSource       = 'C:\ProgramData\Twinlock\packages\'
            ModifyPath          = 'MsiExec.exe /X' + $product.productCode
            Publisher           = [string]$product.publisher
            UninstallString     = 'MsiExec.exe /X' + $product.productCode
            WindowsInstaller    = 1
            PSPath              = 'Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\' + $product.productCode
            PSChildName         = [string]$product.productCode
        }
    }
    return $out
}

function Test-Path {
    [CmdletBinding(DefaultParameterSetName = 'Path')]
    param(
        [Parameter(ParameterSetName = 'Path', Position = 0)][string[]]$Path,
        [Parameter(ParameterSetName = 'LiteralPath')][string[]]$LiteralPath,
        [ValidateSet('Any', 'Container', 'Leaf')][string]$PathType = 'Any'
    )
    foreach ($one in @($Path) + @($LiteralPath)) {
        if ($null -eq $one) { continue }
        if ($one -match '^HKLM:') { $null -ne (Get-ShimRegistryKey -Path $one); continue }
        if ($one -match '^\\\\') { (Test-ShimShareRoot -Path $one) -and $PathType -ne 'Leaf'; continue }
        $local = ConvertTo-ShimLocalPath -Path $one
        if ($null -eq $local) { $false; continue }
        switch ($PathType) {
            'Leaf' { [System.IO.File]::Exists($local) }
            'Container' { [System.IO.Directory]::Exists($local) }
            default { [System.IO.File]::Exists($local) -or [System.IO.Directory]::Exists($local) }
        }
    }
}

function Join-Path {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$Path, [Parameter(Mandatory, Position = 1)][string]$ChildPath)
    $Path.TrimEnd('\') + '\' + $ChildPath.TrimStart('\')
}

function Split-Path {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$Path, [switch]$Parent, [switch]$Leaf)
    $i = $Path.TrimEnd('\').LastIndexOf('\')
    if ($Leaf) { return $Path.Substring($i + 1) }
    if ($i -le 2) { return $Path.Substring(0, 3) }
    return $Path.Substring(0, $i)
}

function New-ShimFileInfo {
    param([string]$WindowsPath, [string]$Local)
    $info = [System.IO.FileInfo]::new($Local)
    [pscustomobject]@{
        Name           = $info.Name
        FullName       = $WindowsPath
        Length         = $info.Length
        Extension      = $info.Extension
        LastWriteTime  = $info.LastWriteTime
        Mode           = '-a----'
    }
}

function Get-Item {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath)
    $local = ConvertTo-ShimLocalPath -Path $LiteralPath
    if ($null -eq $local -or -not [System.IO.File]::Exists($local)) {
        $e = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$LiteralPath' because it does not exist.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand', 'ObjectNotFound', $LiteralPath))
    }
    New-ShimFileInfo -WindowsPath $LiteralPath -Local $local
}

function Get-ChildItem {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath, [string]$Filter = '*', [switch]$File, [switch]$Directory)
    Invoke-ShimFault -Command 'Get-ChildItem' -Cmdlet $PSCmdlet
    $local = ConvertTo-ShimLocalPath -Path $LiteralPath
    if ($null -eq $local -or -not [System.IO.Directory]::Exists($local)) { return }
    if ($Directory) {
        foreach ($d in ([System.IO.Directory]::GetDirectories($local) | Sort-Object -Property { [System.IO.Path]::GetFileName($_).ToLowerInvariant() })) {
            $name = [System.IO.Path]::GetFileName($d)
            if ($name -notlike $Filter) { continue }
            [pscustomobject]@{ Name = $name; FullName = ($LiteralPath.TrimEnd('\') + '\' + $name); Mode = 'd-----' }
        }
        return
    }
    # NTFS lists a folder in name order.
    foreach ($f in ([System.IO.Directory]::GetFiles($local) | Sort-Object -Property { [System.IO.Path]::GetFileName($_).ToLowerInvariant() })) {
        $name = [System.IO.Path]::GetFileName($f)
        if ($name -notlike $Filter) { continue }
        New-ShimFileInfo -WindowsPath ($LiteralPath.TrimEnd('\') + '\' + $name) -Local $f
    }
}

function Get-Content {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath, [string]$Encoding = 'Default')
    $local = ConvertTo-ShimLocalPath -Path $LiteralPath
    if (Test-ShimLocked -Path $LiteralPath) { Stop-ShimLocked -Path $LiteralPath -Cmdlet $PSCmdlet -Id 'GetContentReaderIOError,Microsoft.PowerShell.Commands.GetContentCommand' }
    $enc = if ($Encoding -eq 'Unicode') { [System.Text.Encoding]::Unicode } else { [System.Text.Encoding]::UTF8 }
    $text = [System.IO.File]::ReadAllText($local, $enc)
    if ($text.Length -gt 0 -and $text[0] -eq [char]0xFEFF) { $text = $text.Substring(1) }
    $lines = $text -split "`r?`n"
    # A final line break ends the last line; it does not start an empty one.
    if ($lines.Count -gt 0 -and $lines[-1] -eq '') { $lines = $lines[0..($lines.Count - 2)] }
    $lines
}

function Remove-Item {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath, [switch]$Force)
    if ($LiteralPath -match '^\\\\') { Remove-ShimShareFile -Path $LiteralPath -Cmdlet $PSCmdlet; return }
    if (Test-ShimLocked -Path $LiteralPath) { Stop-ShimLocked -Path $LiteralPath -Cmdlet $PSCmdlet -Id 'RemoveFileSystemItemIOError,Microsoft.PowerShell.Commands.RemoveItemCommand' }
    $local = ConvertTo-ShimLocalPath -Path $LiteralPath
    Invoke-ShimFault -Command 'Remove-Item' -Cmdlet $PSCmdlet
    [System.IO.File]::Delete($local)
    Add-ShimChange -Command 'Remove-Item' -Detail @{ path = $LiteralPath }
}

function New-Item {
    [CmdletBinding()]
    param([string]$ItemType, [Parameter(Mandatory)][string]$Path, [switch]$Force)
    $local = ConvertTo-ShimLocalPath -Path $Path
    if ($null -eq $local) {
        $drive = ($Path -split ':')[0]
        $e = [System.Management.Automation.DriveNotFoundException]::new("Cannot find drive. A drive with the name '$drive' does not exist.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'DriveNotFound,Microsoft.PowerShell.Commands.NewItemCommand', 'ObjectNotFound', $drive))
    }
    Invoke-ShimFault -Command 'New-Item' -Cmdlet $PSCmdlet
    $null = [System.IO.Directory]::CreateDirectory($local)
    Add-ShimChange -Command 'New-Item' -Detail @{ itemType = $ItemType; path = $Path }
    [pscustomobject]@{ FullName = $Path }
}

function Set-Content {
    <# Writes text as Windows PowerShell 5.1 does: UTF8 with its byte-order mark, lines ended by CRLF. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath, [Parameter(Mandatory)][object[]]$Value, [string]$Encoding = 'Default')
    if ($LiteralPath -match '^\\\\') { Set-ShimShareFile -Path $LiteralPath -Cmdlet $PSCmdlet; return }
    $local = ConvertTo-ShimLocalPath -Path $LiteralPath
    if ($null -eq $local -or -not [System.IO.Directory]::Exists([System.IO.Path]::GetDirectoryName($local))) {
        $e = [System.IO.DirectoryNotFoundException]::new("Could not find a part of the path '$LiteralPath'.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'GetContentWriterDirectoryNotFoundError,Microsoft.PowerShell.Commands.SetContentCommand', 'ObjectNotFound', $LiteralPath))
    }
    if (Test-ShimLocked -Path $LiteralPath) { Stop-ShimLocked -Path $LiteralPath -Cmdlet $PSCmdlet -Id 'GetContentWriterIOError,Microsoft.PowerShell.Commands.SetContentCommand' }
    Invoke-ShimFault -Command 'Set-Content' -Cmdlet $PSCmdlet
    $enc = if ($Encoding -eq 'Unicode') { [System.Text.UnicodeEncoding]::new($false, $true) } else { [System.Text.UTF8Encoding]::new($true) }
    $text = (@($Value | ForEach-Object { [string]$_ }) -join "`r`n") + "`r`n"
    [System.IO.File]::WriteAllText($local, $text, $enc)
    Add-ShimChange -Command 'Set-Content' -Detail @{ path = $LiteralPath }
}

function Move-Item {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath, [Parameter(Mandatory)][string]$Destination, [switch]$Force)
    $from = ConvertTo-ShimLocalPath -Path $LiteralPath
    $to = ConvertTo-ShimLocalPath -Path $Destination
    if ($null -eq $from -or -not [System.IO.File]::Exists($from)) {
        $e = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$LiteralPath' because it does not exist.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'PathNotFound,Microsoft.PowerShell.Commands.MoveItemCommand', 'ObjectNotFound', $LiteralPath))
    }
    if (Test-ShimLocked -Path $Destination) { Stop-ShimLocked -Path $Destination -Cmdlet $PSCmdlet -Id 'MoveFileInfoItemIOError,Microsoft.PowerShell.Commands.MoveItemCommand' }
    Invoke-ShimFault -Command 'Move-Item' -Cmdlet $PSCmdlet
    [System.IO.File]::Move($from, $to, [bool]$Force)
    Add-ShimChange -Command 'Move-Item' -Detail @{ path = $LiteralPath; destination = $Destination }
}

function Get-FileHash {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath, [string]$Algorithm = 'SHA256')
    if (Test-ShimLocked -Path $LiteralPath) { Stop-ShimLocked -Path $LiteralPath -Cmdlet $PSCmdlet -Id 'FileReadError,Microsoft.PowerShell.Commands.GetFileHashCommand' }
    $local = ConvertTo-ShimLocalPath -Path $LiteralPath
    $hash = Microsoft.PowerShell.Utility\Get-FileHash -LiteralPath $local -Algorithm $Algorithm
    [pscustomobject]@{ Algorithm = $hash.Algorithm; Hash = $hash.Hash; Path = $LiteralPath }
}

function Get-AuthenticodeSignature {
    <# The lab's package carries its signer in a header line and the digest of the rest (lab/package-format.ts). #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$LiteralPath)
    if (Test-ShimLocked -Path $LiteralPath) { Stop-ShimLocked -Path $LiteralPath -Cmdlet $PSCmdlet -Id 'FileReadError,Microsoft.PowerShell.Commands.GetAuthenticodeSignatureCommand' }
    $bytes = [System.IO.File]::ReadAllBytes((ConvertTo-ShimLocalPath -Path $LiteralPath))
    $magic = [System.Text.Encoding]::ASCII.GetBytes('TWINLOCK-LAB-PACKAGE/1 ')
    $end = [Array]::IndexOf($bytes, [byte]10)
    $status = 'NotSigned'
    $certificate = $null
    $isPackage = $end -gt $magic.Length
    for ($k = 0; $isPackage -and $k -lt $magic.Length; $k++) { if ($bytes[$k] -ne $magic[$k]) { $isPackage = $false } }
    if ($isPackage) {
        $header = [System.Text.Encoding]::UTF8.GetString($bytes, $magic.Length, $end - $magic.Length) | ConvertFrom-Json
        if ($null -ne $header.signer) {
            $sha = [System.Security.Cryptography.SHA256]::Create()
            $digest = -join ($sha.ComputeHash($bytes, $end + 1, $bytes.Length - $end - 1) | ForEach-Object { $_.ToString('x2') })
            $status = if ($digest -eq $header.contentSha256) { 'Valid' } else { 'HashMismatch' }
            $certificate = [pscustomobject]@{ Subject = [string]$header.signer.subject; Thumbprint = [string]$header.signer.thumbprint }
        }
    }
    $message = switch ($status) {
        'Valid' { 'Signature verified.' }
        'NotSigned' { "The file $LiteralPath is not digitally signed. You cannot run this script on the current system. For more information about running scripts and setting execution policy, see about_Execution_Policies at https://go.microsoft.com/fwlink/?LinkID=135170." }
        'HashMismatch' { "The contents of file $LiteralPath might have been changed by an unauthorized user or process, because the hash of the file does not match the hash stored in the digital signature. The script cannot run on the specified system. For more information, run Get-Help about_Signing." }
    }
    [pscustomobject]@{
        SignerCertificate = $certificate
        TimeStamperCertificate = $null
        Status            = [TwinlockShim.SignatureStatus]$status
        StatusMessage     = $message
        Path              = $LiteralPath
        SignatureType     = if ($certificate) { 'Authenticode' } else { 'None' }
        IsOSBinary        = $false
    }
}

function Get-ItemProperty {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string[]]$Path)
    foreach ($one in $Path) {
        if ($one -match '\\Uninstall\\\*$') { Get-ShimUninstallEntries -Path $one; continue }
        $values = Get-ShimRegistryKey -Path $one
        if ($null -eq $values) {
            $e = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$one' because it does not exist.")
            $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($e, 'PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand', 'ObjectNotFound', $one))
            continue
        }
        Invoke-ShimFault -Command ('Get-ItemProperty ' + $one) -Cmdlet $PSCmdlet
        $values['PSChildName'] = ($one -split '\\')[-1]
        [pscustomobject]$values
    }
}

# ---------------------------------------------------------------- CIM

function Get-CimInstance {
    [CmdletBinding()]
    param([string]$ClassName, [string]$Namespace = 'root\cimv2', [string]$Filter)
    Invoke-ShimFault -Command "Get-CimInstance $ClassName" -Cmdlet $PSCmdlet
    $p = $script:Server.profile
    $cpu = $p.processor
    $hyperV = [bool]$p.roles.hyperV
    $GiB = [uint64]1073741824
    switch ("$Namespace`:$ClassName") {
        'root\cimv2:Win32_ComputerSystem' {
            [pscustomobject]@{
                Name = [string]$p.computerName; Domain = [string]$p.domain; PartOfDomain = [bool]$p.partOfDomain
                Manufacturer = [string]$p.system.manufacturer; Model = [string]$p.system.model
                NumberOfProcessors = [uint32]$cpu.sockets
                NumberOfLogicalProcessors = [uint32]($cpu.sockets * $cpu.threadsPerSocket)
                TotalPhysicalMemory = [uint64]([uint64]$p.memory.totalGiB * $GiB - [uint64]$p.memory.reservedMiB * 1048576)
                HypervisorPresent = $hyperV
                Workgroup = if ([bool]$p.partOfDomain) { $null } else { [string]$p.domain }
            }
        }
        'root\cimv2:Win32_OperatingSystem' {
            [pscustomobject]@{
                Caption = [string]$p.os.caption; Version = [string]$p.os.version; BuildNumber = [string]$p.os.build
                OSArchitecture = [string]$p.os.architecture
                CSName = [string]$p.computerName
                LastBootUpTime = New-ShimDate -Ms ([double]$script:Server.bootedAtMs)
                LocalDateTime = New-ShimDate -Ms ([double]$script:Server.nowMs)
            }
        }
        'root\cimv2:Win32_Processor' {
            $arch = if ($cpu.manufacturer -eq 'AuthenticAMD') { 'AMD64' } else { 'Intel64' }
            $caption = "$arch Family $($cpu.family) Model $($cpu.model) Stepping $($cpu.stepping)"
            $prefix = if ($cpu.manufacturer -eq 'AuthenticAMD') { '178BFBFF' } else { 'BFEBFBFF' }
            # CPUID leaf 1 EAX: extended family, extended model, family, model, stepping.
            $family = [int]$cpu.family; $model = [int]$cpu.model
            $extFamily = if ($family -gt 15) { $family - 15 } else { 0 }
            $sig = ($extFamily -shl 20) -bor (($model -shr 4) -shl 16) -bor ([Math]::Min($family, 15) -shl 8) -bor (($model -band 0xf) -shl 4) -bor [int]$cpu.stepping
            for ($s = 1; $s -le [int]$cpu.sockets; $s++) {
                [pscustomobject]@{
                    Manufacturer = [string]$cpu.manufacturer; Name = [string]$cpu.name; Caption = $caption; Description = $caption
                    Family = [uint16]$cpu.wmiFamily; NumberOfCores = [uint32]$cpu.coresPerSocket
                    NumberOfLogicalProcessors = [uint32]$cpu.threadsPerSocket; MaxClockSpeed = [uint32]$cpu.maxClockMhz
                    # A running hypervisor hides VT-x and SLAT from WMI.
                    VirtualizationFirmwareEnabled = (-not $hyperV) -and [bool]$cpu.virtualizationFirmwareEnabled
                    SecondLevelAddressTranslationExtensions = (-not $hyperV) -and [bool]$cpu.slat
                    ProcessorId = $prefix + $sig.ToString('X8'); SocketDesignation = "CPU$s"
                }
            }
        }
        'root\cimv2:Win32_BIOS' {
            $serial = if ($p.system.PSObject.Properties['serial'] -and $p.system.serial) { [string]$p.system.serial } else { [string]$script:Server.serial }
            [pscustomobject]@{
                Manufacturer = [string]$p.bios.vendor; SMBIOSBIOSVersion = [string]$p.bios.version
                ReleaseDate = ConvertFrom-ShimIsoDate -IsoDate ([string]$p.bios.releaseDate); SerialNumber = $serial
            }
        }
        'root\cimv2:Win32_PhysicalMemory' {
            $each = [uint64]([uint64]$p.memory.totalGiB * $GiB / [uint64]$p.memory.modules)
            for ($m = 0; $m -lt [int]$p.memory.modules; $m++) {
                [pscustomobject]@{ BankLabel = ''; DeviceLocator = "DIMM $m"; Capacity = $each; ConfiguredClockSpeed = [uint32]$p.memory.speedMhz; Speed = [uint32]$p.memory.speedMhz }
            }
        }
        'root\cimv2\power:Win32_PowerPlan' {
            $plans = [ordered]@{ 'Balanced' = '381b4222-f694-41f0-9685-ff5bb260df2e'; 'High performance' = '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c'; 'Power saver' = 'a1841308-3541-4fab-bc81-f71556f20b4a' }
            foreach ($name in $plans.Keys) {
                $active = $name -eq $script:State.powerPlan
                if ($Filter -eq 'IsActive = TRUE' -and -not $active) { continue }
                [pscustomobject]@{ ElementName = $name; InstanceID = 'Microsoft:PowerPlan\{' + $plans[$name] + '}'; IsActive = $active }
            }
        }
        default { throw "The Windows shim does not model CIM class $Namespace`:$ClassName." }
    }
}

# ---------------------------------------------------------------- roles, updates, locale

function Get-WinSystemLocale {
    [CmdletBinding()] param()
    Invoke-ShimFault -Command 'Get-WinSystemLocale' -Cmdlet $PSCmdlet
    [pscustomobject]@{ Name = [string]$script:Server.profile.os.locale; LCID = 1033; DisplayName = [string]$script:Server.profile.os.locale }
}

function Get-HotFix {
    [CmdletBinding()] param()
    Invoke-ShimFault -Command 'Get-HotFix' -Cmdlet $PSCmdlet
    foreach ($h in @($script:Server.profile.hotfixes)) {
        if ($null -eq $h) { continue }
        [pscustomobject]@{ Source = [string]$script:Server.profile.computerName; Description = [string]$h.description; HotFixID = [string]$h.id; InstalledBy = 'NT AUTHORITY\SYSTEM'; InstalledOn = ConvertFrom-ShimIsoDate -IsoDate ([string]$h.installedOn) }
    }
}

function Get-ShimFeatures {
    $p = $script:Server.profile
    @(
        @{ Name = 'Hyper-V'; DisplayName = 'Hyper-V'; Installed = [bool]$p.roles.hyperV }
        if (Test-ShimClusterFeatureAvailable) { @{ Name = 'Failover-Clustering'; DisplayName = 'Failover Clustering'; Installed = [bool]$p.roles.failoverClustering } }
        # The cluster cmdlets come with the feature's management tools (-IncludeManagementTools).
        if (Test-ShimClusterFeatureAvailable) { @{ Name = 'RSAT-Clustering-PowerShell'; DisplayName = 'Failover Cluster Module for Windows PowerShell'; Installed = [bool]$p.roles.failoverClustering } }
    )
}

function Test-ShimClusterFeatureAvailable {
    <# The edition's catalogue holds Failover-Clustering (the lab's rule, lab/handlers/cluster-feature.ts, in the server document). #>
    $prop = $script:Server.PSObject.Properties['clusterFeatureAvailable']
    $null -eq $prop -or [bool]$prop.Value
}

function Invoke-ShimClusterFeature {
    <# Install-WindowsFeature / Uninstall-WindowsFeature of Failover-Clustering, as Windows Server 2016 and later answer. #>
    param([ValidateSet('Install', 'Uninstall')][string]$Verb, [bool]$IncludeManagementTools)
    $p = $script:Server.profile
    $command = if ($Verb -eq 'Install') { 'AddWindowsFeatureCommand' } else { 'RemoveWindowsFeatureCommand' }
    if (-not (Test-ShimClusterFeatureAvailable)) {
        $e = [System.ArgumentException]::new("ArgumentNotValid: The role, role service, or feature name is not valid: 'Failover-Clustering'. The name was not found.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, "NameDoesNotExist,Microsoft.Windows.ServerManager.Commands.$command", 'InvalidArgument', 'Failover-Clustering'))
    }
    $installed = [bool]$p.roles.failoverClustering
    $pendingProp = $script:Server.PSObject.Properties['clusterFeaturePending']
    $pending = if ($null -ne $pendingProp -and $null -ne $pendingProp.Value) { [string]$pendingProp.Value } else { '' }
    $names = @('Failover-Clustering', 'RSAT-Clustering')
    if ([string]$p.os.installationType -eq 'Server') { $names += 'RSAT-Clustering-Mgmt' }
    $names += 'RSAT-Clustering-PowerShell'
    $none = @()
    if ($Verb -eq 'Uninstall' -and $installed -and [bool]$script:Server.clusterNode) {
        $e = [System.InvalidOperationException]::new('Failover Clustering cannot be removed: This server is a node of a failover cluster. Remove the node from the cluster, or destroy the cluster, before removing the feature.')
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'Alteration_PrerequisiteCheck_Failed,Microsoft.Windows.ServerManager.Commands.RemoveWindowsFeatureCommand', 'InvalidOperation', 'Failover-Clustering'))
    }
    # Each answer: restart needed, exit code, the features changed (none: no change asked of Windows).
    $answer = if ($Verb -eq 'Install') {
        if ($pending -eq 'install') { @{ restart = 'Yes'; code = 'NoChangeNeeded'; changed = $none } }
        elseif ($pending -eq 'uninstall') { @{ restart = 'No'; code = 'Success'; changed = $names } }
        elseif ($installed) { @{ restart = 'No'; code = 'NoChangeNeeded'; changed = $none } }
        elseif ([bool]$script:Server.pendingReboot) { @{ restart = 'Yes'; code = 'SuccessRestartRequired'; changed = $names } }
        else { @{ restart = 'No'; code = 'Success'; changed = $names } }
    } else {
        if ($pending -eq 'uninstall') { @{ restart = 'Yes'; code = 'NoChangeNeeded'; changed = $none } }
        elseif ($pending -eq 'install') { @{ restart = 'No'; code = 'Success'; changed = $names } }
        elseif (-not $installed) { @{ restart = 'No'; code = 'NoChangeNeeded'; changed = $none } }
        else { @{ restart = 'Yes'; code = 'SuccessRestartRequired'; changed = $names } }
    }
    $changed = @($answer.changed)
    if ($changed.Count -gt 0) {
        Add-ShimChange -Command "$Verb-WindowsFeature" -Detail @{ name = @('Failover-Clustering'); includeManagementTools = $IncludeManagementTools }
    }
    $results = @($changed | ForEach-Object { [pscustomobject]@{ Name = $_; DisplayName = $_; Success = $true; RestartNeeded = ($answer.restart -eq 'Yes') } })
    [pscustomobject]@{ Success = $true; RestartNeeded = [TwinlockShim.RestartState]($answer.restart); FeatureResult = $results; ExitCode = [TwinlockShim.FeatureOperationExitCode]($answer.code) }
}

function Uninstall-WindowsFeature {
    [CmdletBinding()] param([Parameter(Mandatory)][string[]]$Name, [switch]$IncludeManagementTools)
    Invoke-ShimFault -Command 'Uninstall-WindowsFeature' -Cmdlet $PSCmdlet
    if ($Name -contains 'Failover-Clustering') { return Invoke-ShimClusterFeature -Verb Uninstall -IncludeManagementTools ([bool]$IncludeManagementTools) }
    throw "The shim models Uninstall-WindowsFeature of Failover-Clustering only, not $($Name -join ', ')."
}

function Get-WindowsFeature {
    [CmdletBinding()] param([string[]]$Name)
    Invoke-ShimFault -Command 'Get-WindowsFeature' -Cmdlet $PSCmdlet
    foreach ($f in Get-ShimFeatures) {
        if ($Name -and $Name -notcontains $f.Name) { continue }
        [pscustomobject]@{ Name = $f.Name; DisplayName = $f.DisplayName; Installed = $f.Installed; InstallState = [TwinlockShim.InstallState]$(if ($f.Installed) { 'Installed' } else { 'Available' }); FeatureType = 'Role' }
    }
}

function Install-WindowsFeature {
    [CmdletBinding()] param([Parameter(Mandatory)][string[]]$Name, [switch]$IncludeManagementTools)
    Invoke-ShimFault -Command 'Install-WindowsFeature' -Cmdlet $PSCmdlet
    if ($Name -contains 'Failover-Clustering') { return Invoke-ShimClusterFeature -Verb Install -IncludeManagementTools ([bool]$IncludeManagementTools) }
    $p = $script:Server.profile
    if ($Name -contains 'Hyper-V' -and -not [bool]$p.roles.hyperV -and -not [bool]$p.processor.virtualizationFirmwareEnabled) {
        $e = [System.InvalidOperationException]::new('Hyper-V cannot be installed: The processor does not have required virtualization capabilities.')
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'Alteration_PrerequisiteCheck_Failed,Microsoft.Windows.ServerManager.Commands.AddWindowsFeatureCommand', 'InvalidOperation', $Name))
    }
    $installed = @(Get-ShimFeatures | Where-Object { $Name -contains $_.Name -and $_.Installed })
    if ($installed.Count -eq $Name.Count) {
        return [pscustomobject]@{ Success = $true; RestartNeeded = [TwinlockShim.RestartState]::No; FeatureResult = @(); ExitCode = [TwinlockShim.FeatureOperationExitCode]::NoChangeNeeded }
    }
    Add-ShimChange -Command 'Install-WindowsFeature' -Detail @{ name = @($Name); includeManagementTools = [bool]$IncludeManagementTools }
    $results = @('Hyper-V', 'Hyper-V-PowerShell', 'Hyper-V-Tools') | ForEach-Object { [pscustomobject]@{ Name = $_; DisplayName = $_; Success = $true; RestartNeeded = $true } }
    [pscustomobject]@{ Success = $true; RestartNeeded = [TwinlockShim.RestartState]::Yes; FeatureResult = $results; ExitCode = [TwinlockShim.FeatureOperationExitCode]::SuccessRestartRequired }
}

# ---------------------------------------------------------------- network

function Get-ShimIfIndex { param([int]$Position) 4 + $Position * 3 }

function Get-NetAdapter {
    [CmdletBinding()] param([string]$Name)
    Invoke-ShimFault -Command 'Get-NetAdapter' -Cmdlet $PSCmdlet
    $i = 0
    foreach ($nic in @($script:Server.profile.nics)) {
        # -Name matches without regard to case, as the CIM filter does.
        if ($Name -and [string]$nic.name -ne $Name) { $i++; continue }
        $mbps = if ($nic.status -eq 'Up') { [uint64]$nic.speedMbps } else { [uint64]0 }
        $linkSpeed = if ($mbps -eq 0) { '0 bps' } elseif ($mbps -ge 1000) { "$($mbps / 1000) Gbps" } else { "$mbps Mbps" }
        [pscustomobject]@{
            Name = [string]$nic.name; InterfaceDescription = [string]$nic.description; ifIndex = [int](Get-ShimIfIndex $i)
            Status = [string]$nic.status; LinkSpeed = $linkSpeed; Speed = [uint64]($mbps * 1000000); MacAddress = [string]$nic.mac
            # MediaConnectState: 1 Connected, 2 Disconnected.
            MediaConnectionState = [int]$(if ($nic.status -eq 'Up') { 1 } else { 2 })
            DriverVersion = [string]$nic.driverVersion
        }
        $i++
    }
}

function Get-NetIPAddress {
    [CmdletBinding()] param([string]$AddressFamily, [string]$InterfaceAlias)
    Invoke-ShimFault -Command 'Get-NetIPAddress' -Cmdlet $PSCmdlet
    $i = 0
    foreach ($nic in @($script:Server.profile.nics)) {
        if ($InterfaceAlias -and [string]$nic.name -ne $InterfaceAlias) { $i++; continue }
        foreach ($ip in @($nic.ipv4)) {
            if ($null -eq $ip) { continue }
            # PrefixOrigin: 1 Manual, 2 WellKnown.
            [pscustomobject]@{ InterfaceAlias = [string]$nic.name; InterfaceIndex = [int](Get-ShimIfIndex $i); IPAddress = [string]$ip.address; PrefixLength = [byte]$ip.prefixLength; PrefixOrigin = 1; AddressFamily = 2 }
        }
        $i++
    }
    if (-not $InterfaceAlias) {
        [pscustomobject]@{ InterfaceAlias = 'Loopback Pseudo-Interface 1'; InterfaceIndex = 1; IPAddress = '127.0.0.1'; PrefixLength = [byte]8; PrefixOrigin = 2; AddressFamily = 2 }
    }
}

function New-NetIPAddress {
    <# Records the address a script adds; the shim's adapters are read from the profile, so it does not appear in Get-NetIPAddress. #>
    [CmdletBinding()]
    param([string]$InterfaceAlias, [string]$IPAddress, [int]$PrefixLength, [string]$AddressFamily, [string]$PolicyStore, [bool]$SkipAsSource)
    Invoke-ShimFault -Command 'New-NetIPAddress' -Cmdlet $PSCmdlet
    $detail = @{ interfaceAlias = $InterfaceAlias; ipAddress = $IPAddress; prefixLength = $PrefixLength }
    if ($PSBoundParameters.ContainsKey('AddressFamily')) { $detail.addressFamily = $AddressFamily }
    if ($PSBoundParameters.ContainsKey('PolicyStore')) { $detail.policyStore = $PolicyStore }
    if ($PSBoundParameters.ContainsKey('SkipAsSource')) { $detail.skipAsSource = $SkipAsSource }
    Add-ShimChange -Command 'New-NetIPAddress' -Detail $detail
    # One object per store, as Windows answers: the active one, then (unless only the active store was asked for) the persistent one.
    $stores = if ($PolicyStore -eq 'ActiveStore') { @('ActiveStore') } else { @('ActiveStore', 'PersistentStore') }
    foreach ($store in $stores) {
        [pscustomobject]@{ InterfaceAlias = $InterfaceAlias; IPAddress = $IPAddress; PrefixLength = [byte]$PrefixLength; PrefixOrigin = 1; AddressFamily = 2; SkipAsSource = $SkipAsSource; Store = $store }
    }
}

function Remove-NetIPAddress {
    [CmdletBinding(SupportsShouldProcess = $true)]
    param([string]$InterfaceAlias, [string]$IPAddress, [string]$PolicyStore)
    Invoke-ShimFault -Command 'Remove-NetIPAddress' -Cmdlet $PSCmdlet
    $detail = @{ interfaceAlias = $InterfaceAlias; ipAddress = $IPAddress }
    if ($PSBoundParameters.ContainsKey('PolicyStore')) { $detail.policyStore = $PolicyStore }
    Add-ShimChange -Command 'Remove-NetIPAddress' -Detail $detail
}

function ConvertTo-ShimDotted {
    param([uint32]$N)
    (@(24, 16, 8, 0) | ForEach-Object { ($N -shr $_) -band 0xff }) -join '.'
}

function Get-ShimNetwork {
    <# The network number of an IPv4 address with its prefix length. #>
    param([string]$Address, [int]$PrefixLength)
    $n = [uint32]0; foreach ($part in $Address.Split('.')) { $n = [uint32]($n * 256 + [uint32]$part) }
    $mask = if ($PrefixLength -eq 0) { [uint32]0 } else { [uint32](([uint64]4294967295 -shl (32 - $PrefixLength)) -band [uint64]4294967295) }
    [uint32]($n -band $mask)
}

function Get-NetRoute {
    [CmdletBinding()] param([string]$DestinationPrefix, [string]$AddressFamily)
    Invoke-ShimFault -Command 'Get-NetRoute' -Cmdlet $PSCmdlet
    $nics = @($script:Server.profile.nics)
    $gateways = @{}
    for ($i = 0; $i -lt $nics.Count; $i++) {
        if ($nics[$i].PSObject.Properties['gateway'] -and $nics[$i].gateway) { $gateways[$i] = [string]$nics[$i].gateway }
    }
    if ($gateways.Count -eq 0) {
        # No gateway configured: the first addressed adapter that is up routes through <network>.1.
        for ($i = 0; $i -lt $nics.Count; $i++) {
            $ip = @($nics[$i].ipv4)[0]
            if ($nics[$i].status -eq 'Up' -and $null -ne $ip) {
                $gateways[$i] = ConvertTo-ShimDotted ([uint32]((Get-ShimNetwork ([string]$ip.address) ([int]$ip.prefixLength)) + 1))
                break
            }
        }
    }
    for ($i = 0; $i -lt $nics.Count; $i++) {
        $alias = [string]$nics[$i].name
        $index = [int](Get-ShimIfIndex $i)
        if ($gateways.ContainsKey($i)) {
            [pscustomobject]@{ DestinationPrefix = '0.0.0.0/0'; InterfaceAlias = $alias; InterfaceIndex = $index; NextHop = $gateways[$i]; RouteMetric = 0 }
        }
        foreach ($ip in @($nics[$i].ipv4)) {
            if ($null -eq $ip) { continue }
            $network = ConvertTo-ShimDotted (Get-ShimNetwork ([string]$ip.address) ([int]$ip.prefixLength))
            [pscustomobject]@{ DestinationPrefix = "$network/$([int]$ip.prefixLength)"; InterfaceAlias = $alias; InterfaceIndex = $index; NextHop = '0.0.0.0'; RouteMetric = 256 }
            [pscustomobject]@{ DestinationPrefix = "$([string]$ip.address)/32"; InterfaceAlias = $alias; InterfaceIndex = $index; NextHop = '0.0.0.0'; RouteMetric = 256 }
        }
        if ($nics[$i].PSObject.Properties['routes']) {
            foreach ($route in @($nics[$i].routes)) {
                if ($null -eq $route) { continue }
                [pscustomobject]@{ DestinationPrefix = [string]$route.destinationPrefix; InterfaceAlias = $alias; InterfaceIndex = $index; NextHop = [string]$route.nextHop; RouteMetric = 256 }
            }
        }
    }
    [pscustomobject]@{ DestinationPrefix = '127.0.0.0/8'; InterfaceAlias = 'Loopback Pseudo-Interface 1'; InterfaceIndex = 1; NextHop = '0.0.0.0'; RouteMetric = 256 }
}

function ConvertTo-ShimRule {
    param($Rule)
    [pscustomobject]@{
        PSTypeName = 'Microsoft.Management.Infrastructure.CimInstance#root/standardcimv2/MSFT_NetFirewallRule'
        Name = [string]$Rule.name; DisplayName = [string]$Rule.displayName; Group = [string]$Rule.group; DisplayGroup = [string]$Rule.group
        Enabled = [TwinlockShim.Enabled]$(if ([bool]$Rule.enabled) { 'True' } else { 'False' })
        Direction = [TwinlockShim.Direction][string]$Rule.direction; Action = [TwinlockShim.Action][string]$Rule.action
        Profile = 0; ShimProtocol = [string]$Rule.protocol; ShimLocalPorts = @($Rule.localPorts | ForEach-Object { [string]$_ })
    }
}

function Get-NetFirewallRule {
    [CmdletBinding()] param([string]$Name, [string]$Group)
    Invoke-ShimFault -Command 'Get-NetFirewallRule' -Cmdlet $PSCmdlet
    $found = @($script:State.firewallRules | Where-Object { ($Name -and $_.name -eq $Name) -or ($Group -and $_.group -eq $Group) })
    if ($found.Count -eq 0) {
        $property = if ($Name) { "'ID' equal to '$Name'" } else { "'Group' equal to '$Group'" }
        $e = [System.Exception]::new("No MSFT_NetFirewallRule objects found with property $property.  Verify the value of the property and retry.")
        $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($e, 'CmdletizationQuery_NotFound,Get-NetFirewallRule', 'ObjectNotFound', $null))
        return
    }
    foreach ($r in $found) { ConvertTo-ShimRule -Rule $r }
}

function Get-NetFirewallPortFilter {
    [CmdletBinding()] param([Parameter(ValueFromPipeline)]$AssociatedNetFirewallRule)
    process {
        $ports = @($AssociatedNetFirewallRule.ShimLocalPorts)
        # MSFT_NetProtocolPortFilter.LocalPort is string[]: one port reads back as one string.
        [pscustomobject]@{ Protocol = $AssociatedNetFirewallRule.ShimProtocol; LocalPort = $(if ($ports.Count -eq 1) { $ports[0] } else { $ports }); RemotePort = 'Any' }
    }
}

function Remove-NetFirewallRule {
    [CmdletBinding()] param([Parameter(ValueFromPipeline)]$InputObject)
    process {
        Invoke-ShimFault -Command 'Remove-NetFirewallRule' -Cmdlet $PSCmdlet
        $name = [string]$InputObject.Name
        $keep = @($script:State.firewallRules | Where-Object { $_.name -ne $name })
        $script:State.firewallRules.Clear(); foreach ($r in $keep) { $script:State.firewallRules.Add($r) }
        Add-ShimChange -Command 'Remove-NetFirewallRule' -Detail @{ name = $name }
    }
}

function New-NetFirewallRule {
    [CmdletBinding()]
    param([string]$Name, [string]$DisplayName, [string]$Group, [string]$Direction, [string]$Action, [string]$Protocol, [string[]]$LocalPort, [string]$Profile)
    Invoke-ShimFault -Command 'New-NetFirewallRule' -Cmdlet $PSCmdlet
    if (@($script:State.firewallRules | Where-Object { $_.name -eq $Name }).Count -gt 0) {
        $e = [System.Exception]::new('Cannot create a file when that file already exists.')
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'Windows System Error 183,New-NetFirewallRule', 'ResourceExists', $Name))
    }
    $rule = [pscustomobject]@{ name = $Name; displayName = $DisplayName; group = $Group; enabled = $true; direction = $Direction; action = $Action; protocol = $Protocol; localPorts = @($LocalPort | ForEach-Object { [int]$_ }) }
    $script:State.firewallRules.Add($rule)
    Add-ShimChange -Command 'New-NetFirewallRule' -Detail @{ name = $Name; displayName = $DisplayName; group = $Group; direction = $Direction; action = $Action; protocol = $Protocol; localPorts = @($LocalPort); profile = $Profile }
    ConvertTo-ShimRule -Rule $rule
}

function Get-NetFirewallProfile {
    [CmdletBinding()] param()
    Invoke-ShimFault -Command 'Get-NetFirewallProfile' -Cmdlet $PSCmdlet
    $fw = $script:Server.profile.firewall
    foreach ($name in @('Domain', 'Private', 'Public')) {
        # Enabled is a GpoBoolean (1 True, 0 False); DefaultInboundAction 4 is Block.
        [pscustomobject]@{ Name = $name; Enabled = [int]$(if ([bool]$fw.($name.ToLowerInvariant())) { 1 } else { 0 }); DefaultInboundAction = 4; DefaultOutboundAction = 2 }
    }
}

# ---------------------------------------------------------------- storage, Hyper-V

function Get-PhysicalDisk {
    [CmdletBinding()] param([bool]$CanPool)
    Invoke-ShimFault -Command 'Get-PhysicalDisk' -Cmdlet $PSCmdlet
    $bus = @{ 'SCSI' = 1; 'ATA' = 3; 'Fibre Channel' = 6; 'USB' = 7; 'RAID' = 8; 'iSCSI' = 9; 'SAS' = 10; 'SATA' = 11; 'NVMe' = 17 }
    $media = @{ 'Unspecified' = 0; 'HDD' = 3; 'SSD' = 4 }
    $i = 0
    foreach ($d in @($script:Server.profile.disks)) {
        $b = if ($bus.ContainsKey([string]$d.busType)) { $bus[[string]$d.busType] } else { 0 }
        $poolable = $null -ne $d.PSObject.Properties['canPool'] -and [bool]$d.canPool
        if ($PSBoundParameters.ContainsKey('CanPool') -and $poolable -ne $CanPool) { $i++; continue }
        [pscustomobject]@{ DeviceId = [string]$i; FriendlyName = [string]$d.model; Model = [string]$d.model; Size = [uint64]([double]$d.sizeGiB * 1073741824); BusType = [uint16]$b; MediaType = [uint16]$media[[string]$d.mediaType]; HealthStatus = 0; CanPool = $poolable }
        $i++
    }
}

function Get-Volume {
    [CmdletBinding()] param()
    Invoke-ShimFault -Command 'Get-Volume' -Cmdlet $PSCmdlet
    # Windows also lists the recovery partition and the DVD drive; the script keeps Fixed ones.
    [pscustomobject]@{ DriveLetter = $null; FileSystemLabel = 'Recovery'; FileSystem = 'NTFS'; DriveType = 'Removable'; Size = [uint64]554692608; SizeRemaining = [uint64]88584192 }
    foreach ($v in @($script:Server.profile.volumes)) {
        $letter = if ([string]$v.letter -eq '') { $null } else { [char][string]$v.letter }
        [pscustomobject]@{ DriveLetter = $letter; FileSystemLabel = [string]$v.label; FileSystem = [string]$v.fileSystem; DriveType = 'Fixed'; Size = [uint64]([double]$v.sizeGiB * 1073741824); SizeRemaining = [uint64]([double]$v.freeGiB * 1073741824) }
    }
    [pscustomobject]@{ DriveLetter = [char]'E'; FileSystemLabel = ''; FileSystem = ''; DriveType = 'CD-ROM'; Size = [uint64]0; SizeRemaining = [uint64]0 }
}

function Get-ShimVM {
    [CmdletBinding()] param()
    Invoke-ShimFault -Command 'Get-VM' -Cmdlet $PSCmdlet
    $states = @{ Running = 2; Off = 3; Saved = 6; Paused = 9 }
    foreach ($vm in @($script:Server.vms)) {
        if ($null -eq $vm) { continue }
        [pscustomobject]@{
            Name = [string]$vm.name; State = [int]$states[[string]$vm.state]; MemoryStartup = [long]$vm.memoryBytes
            MemoryAssigned = [long]$(if ($vm.state -eq 'Running') { $vm.memoryBytes } else { 0 })
            ProcessorCount = [int]$vm.processorCount; Generation = [int]$vm.generation
            Path = $(if ($vm.PSObject.Properties['path']) { [string]$vm.path } else { '' })
            Uptime = [timespan]::FromSeconds([double]$vm.uptimeSeconds)
            # The lab's VMs report no address through their integration services.
            NetworkAdapters = @()
        }
    }
}

# ---------------------------------------------------------------- services

function Get-Service {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name)
    Invoke-ShimFault -Command 'Get-Service' -Cmdlet $PSCmdlet
    $svc = $script:State.services[$Name]
    if ($null -eq $svc) {
        $e = [System.InvalidOperationException]::new("Cannot find any service with service name '$Name'.")
        $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($e, 'NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand', 'ObjectNotFound', $Name))
        return
    }
    [pscustomobject]@{ Name = $svc.name; DisplayName = $svc.name; Status = [TwinlockShim.ServiceControllerStatus]$svc.status; StartType = [TwinlockShim.ServiceStartMode]$svc.startType }
}

function Start-Service {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name)
    $wontStart = @(Get-ShimFaultValue -Name 'servicesWontStart')
    if ($wontStart -contains $Name) {
        $e = [System.InvalidOperationException]::new("Service '$Name ($Name)' cannot be started due to the following error: Cannot start service $Name on computer '.'.")
        $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($e, 'CouldNotStartService,Microsoft.PowerShell.Commands.StartServiceCommand', 'OpenError', $Name))
        return
    }
    Add-ShimChange -Command 'Start-Service' -Detail @{ name = $Name }
}

# ---------------------------------------------------------------- native programs

function ConvertFrom-ShimCommandLine {
    <#
    Splits a Windows command line into arguments as the C runtime does: whitespace separates
    outside quotes, a quote toggles quoting, 2n backslashes before a quote are n backslashes,
    2n+1 are n backslashes and a literal quote; other backslashes are literal.
    #>
    param([string]$Line)
    $argv = [System.Collections.Generic.List[string]]::new()
    $current = [System.Text.StringBuilder]::new(); $inQuotes = $false; $has = $false
    $k = 0
    while ($k -lt $Line.Length) {
        $c = $Line[$k]
        if ($c -eq '\') {
            $n = 0
            while ($k -lt $Line.Length -and $Line[$k] -eq '\') { $n++; $k++ }
            if ($k -lt $Line.Length -and $Line[$k] -eq '"') {
                $null = $current.Append('\' * [Math]::Floor($n / 2))
                if ($n % 2 -eq 1) { $null = $current.Append('"'); $k++ }
            } else {
                $null = $current.Append('\' * $n)
            }
            $has = $true
            continue
        }
        if ($c -eq '"') { $inQuotes = -not $inQuotes; $has = $true; $k++; continue }
        if (($c -eq ' ' -or $c -eq "`t") -and -not $inQuotes) {
            if ($has) { $argv.Add($current.ToString()); $null = $current.Clear(); $has = $false }
            $k++
            continue
        }
        $null = $current.Append($c); $has = $true; $k++
    }
    if ($has) { $argv.Add($current.ToString()) }
    , $argv.ToArray()
}

function ConvertTo-ShimLegacyCommandLine {
    <#
    The command line Windows PowerShell 5.1 builds for a native program from its arguments: an
    argument with whitespace outside quotes is wrapped in quotes, embedded quotes are passed as
    they are (not escaped), and an empty argument is dropped.
    #>
    param([string[]]$Arguments)
    $parts = foreach ($a in @($Arguments)) {
        if ($null -eq $a -or $a -eq '') { continue }
        $quotes = 0; $afterBackslash = $false; $needs = $false
        foreach ($ch in $a.ToCharArray()) {
            if ($ch -eq '"' -and -not $afterBackslash) { $quotes++ }
            elseif ([char]::IsWhiteSpace($ch) -and $quotes % 2 -eq 0) { $needs = $true; break }
            $afterBackslash = $ch -eq '\'
        }
        if ($needs) { '"' + $a + '"' } else { $a }
    }
    @($parts) -join ' '
}

function Start-Process {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$FilePath, [string[]]$ArgumentList, [switch]$Wait, [switch]$PassThru)
    # Windows PowerShell 5.1 joins ArgumentList with spaces into one command line, adding no quotes.
    $line = @($ArgumentList) -join ' '
    $argv = ConvertFrom-ShimCommandLine -Line $line
    Add-ShimChange -Command $FilePath -Detail @{ commandLine = $line; argv = $argv }
    $exitCode = 0
    switch ($FilePath) {
        'msiexec.exe' {
            $msi = Get-ShimFaultValue -Name 'msiexec'
            if ($null -ne $msi) {
                $exitCode = [int]$msi.exitCode
                $logAt = [Array]::IndexOf([string[]]$argv, '/l*v')
                if ($logAt -ge 0 -and $null -ne $msi.log) {
                    $local = ConvertTo-ShimLocalPath -Path $argv[$logAt + 1]
                    [System.IO.File]::WriteAllBytes($local, [Convert]::FromBase64String([string]$msi.log))
                }
            }
        }
        'wusa.exe' {
            # wusa: 2 file not found, 2359302 already installed, 3010 installed (restart required).
            $path = $argv[0]
            $kb = if ($path -match '(?i)kb(\d+)') { 'KB' + $Matches[1] } else { $null }
            if (-not (Test-Path -LiteralPath $path -PathType Leaf) -or $null -eq $kb) { $exitCode = 2 }
            elseif (@($script:Server.profile.hotfixes | Where-Object { $_ -and $_.id -eq $kb }).Count -gt 0) { $exitCode = 2359302 }
            else { $exitCode = 3010 }
        }
        default { throw "The Windows shim does not model $FilePath." }
    }
    if ($PassThru) { [pscustomobject]@{ ExitCode = $exitCode; HasExited = $true; Id = 4242 } }
}

function Set-ShimExitCode { param([int]$Code) $global:LASTEXITCODE = $Code }

function powercfg.exe {
    $argv = @($args | ForEach-Object { [string]$_ })
    Add-ShimChange -Command 'powercfg.exe' -Detail @{ argv = $argv }
    $plans = @{ '381b4222-f694-41f0-9685-ff5bb260df2e' = 'Balanced'; '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c' = 'High performance'; 'a1841308-3541-4fab-bc81-f71556f20b4a' = 'Power saver' }
    if ($argv.Count -eq 2 -and $argv[0] -eq '/setactive' -and $plans.ContainsKey($argv[1].ToLowerInvariant())) {
        $script:State.powerPlan = $plans[$argv[1].ToLowerInvariant()]
        Set-ShimExitCode 0
        return
    }
    'Invalid Parameters -- try "/?" for help'
    Set-ShimExitCode 1
}

function w32tm.exe {
    $argv = @($args | ForEach-Object { [string]$_ })
    Add-ShimChange -Command 'w32tm.exe' -Detail @{ argv = $argv }
    if ($argv[0] -eq '/config') {
        'The command completed successfully.'
        Set-ShimExitCode 0
        return
    }
    'Sending resync command to local computer'
    $manual = @($script:Changes | Where-Object { $_.command -eq 'w32tm.exe' -and $_.argv -contains '/syncfromflags:manual' } | Select-Object -Last 1)
    $reachable = if ($manual.Count -gt 0) {
        $source = (@($manual[0].argv | Where-Object { $_ -like '/manualpeerlist:*' })[0]).Substring('/manualpeerlist:'.Length)
        @($script:Server.timeSources) -contains $source
    } else {
        [bool]$script:Server.profile.partOfDomain
    }
    if ($reachable) {
        'The command completed successfully.'
        Set-ShimExitCode 0
    } else {
        'The computer did not resync because no time data was available.'
        # 0x800705B4: the time service timed out waiting for a source.
        Set-ShimExitCode -2147023436
    }
}

function shutdown.exe {
    $argv = @($args | ForEach-Object { [string]$_ })
    $refused = Get-ShimFaultValue -Name 'shutdownExitCode'
    if ($null -ne $refused) {
        'Access is denied.(5)'
        Set-ShimExitCode ([int]$refused)
        return
    }
    if ($script:State.restartScheduled) {
        'A system shutdown has already been scheduled.(1190)'
        Set-ShimExitCode 1190
        return
    }
    $script:State.restartScheduled = $true
    Add-ShimChange -Command 'shutdown.exe' -Detail @{ argv = $argv }
    Set-ShimExitCode 0
}

function Get-ShimCtlAnswer {
    <#
    The lab agent's answer (server.ctl) for one twinlockctl run: its argv, and its stdin bytes. An
    answer names the input it was computed for, either as `input` (the JSON document the agent
    reads: any stdin that is strict UTF-8 without a BOM and parses to the same JSON matches, as
    Windows PowerShell 5.1 and 7 escape some characters differently) or as `stdin` (exact text).
    #>
    param([string[]]$Argv, [byte[]]$Stdin)
    $key = @($Argv) -join ' '
    $text = $null
    $document = $null
    try { $text = [System.Text.UTF8Encoding]::new($false, $true).GetString($Stdin) } catch { $text = $null }
    # A BOM is a character the agent's JSON parser refuses (an ordinal test: culture rules ignore U+FEFF).
    if ($null -ne $text -and -not ($text.Length -gt 0 -and $text[0] -eq [char]0xFEFF)) {
        try { $document = ConvertTo-Json -InputObject (ConvertFrom-Json -InputObject $text) -Depth 30 -Compress } catch { $document = $null }
    }
    foreach ($answer in @($script:Server.ctl)) {
        if ($null -eq $answer -or (@($answer.argv) -join ' ') -ne $key) { continue }
        if ($answer.PSObject.Properties['input']) {
            if ($null -ne $document -and $document -eq (ConvertTo-Json -InputObject $answer.input -Depth 30 -Compress)) { return $answer }
        } elseif ($answer.PSObject.Properties['stdin']) {
            if ($null -ne $text -and $text -ceq [string]$answer.stdin) { return $answer }
        } else {
            return $answer
        }
    }
    # No lab answer was computed for this call: an answer no agent gives, so the comparison fails.
    [pscustomobject]@{ stdout = '{"error":{"code":"no-lab-answer","message":"The tier has no lab answer for twinlockctl ' + $key + ' with this input."}}'; exitCode = 2 }
}

function Invoke-ShimCtl {
    <# One run of twinlockctl.exe: recorded (argv, stdin as text), answered from the lab agent. #>
    param([string[]]$Argv, [byte[]]$Stdin)
    $text = try { [System.Text.UTF8Encoding]::new($false, $true).GetString($Stdin) } catch { $null }
    $detail = @{ argv = @($Argv); stdin = $text }
    # Bytes that are not UTF-8 are recorded as they are.
    if ($null -eq $text) { $detail['stdinBase64'] = [Convert]::ToBase64String($Stdin) }
    Add-ShimChange -Command 'twinlockctl.exe' -Detail $detail
    Get-ShimCtlAnswer -Argv $Argv -Stdin $Stdin
}

function Invoke-ShimProcess {
    <# [TwinlockShim.Process]'s program: the file must exist on the server's C: drive; returns stdout, stderr, exit code. #>
    param([string]$FileName, [string]$Arguments, [byte[]]$Stdin)
    $local = ConvertTo-ShimLocalPath -Path $FileName
    if ($null -eq $local -or -not [System.IO.File]::Exists($local)) {
        throw [System.ComponentModel.Win32Exception]::new(2, 'The system cannot find the file specified')
    }
    if ($FileName -notmatch '(?i)\\twinlockctl\.exe$') { throw "The Windows shim does not model $FileName." }
    # ProcessStartInfo.Arguments is the command line itself: the C runtime splits it.
    [string[]]$argv = ConvertFrom-ShimCommandLine -Line $Arguments
    $answer = Invoke-ShimCtl -Argv $argv -Stdin $Stdin
    , [string[]]@([string]$answer.stdout, '', ([int]$answer.exitCode).ToString([Globalization.CultureInfo]::InvariantCulture))
}

function Invoke-ShimTwinlockctl {
    <#
    twinlockctl.exe called as a command (`$json | & $ctl verb --input -`): Windows PowerShell 5.1
    builds the command line from the arguments (its own quoting), and pipes the input lines encoded
    with $OutputEncoding (US-ASCII by default: every other character arrives as '?'), each line
    ended with CR LF; the output comes back line by line.
    #>
    $lines = @($input | ForEach-Object { [string]$_ })
    $stdin = [System.Text.Encoding]::ASCII.GetBytes($(if ($lines.Count -gt 0) { ($lines -join "`r`n") + "`r`n" } else { '' }))
    [string[]]$argv = ConvertFrom-ShimCommandLine -Line (ConvertTo-ShimLegacyCommandLine -Arguments @($args | ForEach-Object { [string]$_ }))
    $answer = Invoke-ShimCtl -Argv $argv -Stdin $stdin
    foreach ($line in ([string]$answer.stdout -split "`r?`n")) { $line }
    Set-ShimExitCode ([int]$answer.exitCode)
}

# ---------------------------------------------------------------- failover clustering (Level 1)

function Initialize-ShimCluster {
    <# The directory, and the commands that come with a role: Get-VMHardDiskDrive with Hyper-V's module, Test-Cluster with Failover Clustering's. #>
    $p = $script:Server.profile
    $dir = $script:Server.clusterPrereqs.directory
    [TwinlockShim.AdsiSearcher]::Available = [bool]$p.partOfDomain
    [TwinlockShim.AdsiSearcher]::NoCredentials = [string]$script:Server.logon -eq 'key'
    [TwinlockShim.AdsiSearcher]::Entries.Clear()
    foreach ($e in @($dir.entries)) {
        if ($null -eq $e) { continue }
        $entry = [TwinlockShim.AdsiEntry]::new()
        $entry.Name = [string]$e.name; $entry.Enabled = [bool]$e.enabled; $entry.DistinguishedName = [string]$e.distinguishedName
        [TwinlockShim.AdsiSearcher]::Entries.Add($entry)
    }
    [TwinlockShim.Adsi]::Container = [string]$dir.container
    [TwinlockShim.Adsi]::CanCreateComputer = [bool]$dir.canCreateComputer
    foreach ($command in @(
            @{ name = 'Get-VMHardDiskDrive'; present = [bool]$p.roles.hyperV; body = ${function:Get-ShimVMHardDiskDrive} }
            @{ name = 'Test-Cluster'; present = [bool]$p.roles.failoverClustering; body = ${function:Invoke-ShimTestCluster} }
        )) {
        if ($command.present) { Set-Item -Path ('function:global:' + $command.name) -Value $command.body }
        # Remove-Item of function:global:<name> leaves the function in place; function:\<name> removes the one found.
        elseif (Microsoft.PowerShell.Management\Test-Path -LiteralPath ('function:\' + $command.name)) { Microsoft.PowerShell.Management\Remove-Item -LiteralPath ('function:\' + $command.name) }
    }
}

function Get-ShimShare {
    <# The SMB share (the profile's storage.shares) a UNC path is in, or $null. #>
    param([string]$Path)
    if ($Path -notmatch '^\\\\([^\\]+)\\([^\\]+)') { return $null }
    $root = '\\' + $Matches[1] + '\' + $Matches[2]
    foreach ($share in @($script:Server.profile.storage.shares)) {
        if ($null -ne $share -and [string]$share.path -ieq $root) { return $share }
    }
    return $null
}

function Test-ShimShareRoot {
    <# A UNC path that is a share this server reaches (files inside shares are not modelled). #>
    param([string]$Path)
    $share = Get-ShimShare -Path $Path
    $null -ne $share -and $Path.TrimEnd('\') -ieq [string]$share.path
}

function Set-ShimShareFile {
    <# A write into a share: recorded when the share lets this server write, else Windows' access denied. #>
    param([string]$Path, [System.Management.Automation.PSCmdlet]$Cmdlet)
    $share = Get-ShimShare -Path $Path
    if ($null -eq $share) {
        $e = [System.IO.IOException]::new('The network path was not found.')
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'GetContentWriterIOError,Microsoft.PowerShell.Commands.SetContentCommand', 'WriteError', $Path))
    }
    if (-not [bool]$share.writable) {
        $e = [System.UnauthorizedAccessException]::new("Access to the path '$Path' is denied.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'GetContentWriterUnauthorizedAccessError,Microsoft.PowerShell.Commands.SetContentCommand', 'PermissionDenied', $Path))
    }
    Add-ShimChange -Command 'Set-Content' -Detail @{ path = $Path }
}

function Remove-ShimShareFile {
    param([string]$Path, [System.Management.Automation.PSCmdlet]$Cmdlet)
    if ($null -eq (Get-ShimShare -Path $Path)) {
        $e = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$Path' because it does not exist.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, 'PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand', 'ObjectNotFound', $Path))
    }
    Add-ShimChange -Command 'Remove-Item' -Detail @{ path = $Path }
}

function Get-SmbConnection {
    [CmdletBinding()] param([string]$ServerName, [string]$ShareName)
    Invoke-ShimFault -Command 'Get-SmbConnection' -Cmdlet $PSCmdlet
    $share = Get-ShimShare -Path ('\\' + $ServerName + '\' + $ShareName)
    if ($null -eq $share) { return }
    [pscustomobject]@{ ServerName = $ServerName; ShareName = $ShareName; UserName = [string]$script:Server.account.userName; Dialect = $(if ([bool]$share.smb3) { '3.1.1' } else { '2.1' }); NumOpens = 1 }
}

function Get-Disk {
    <# MSFT_Disk: the local disks (Get-PhysicalDisk's), then the disks on a shared bus; BusType is MSFT_Disk's number. #>
    [CmdletBinding()] param()
    Invoke-ShimFault -Command 'Get-Disk' -Cmdlet $PSCmdlet
    $bus = @{ 'SCSI' = 1; 'ATA' = 3; 'Fibre Channel' = 6; 'USB' = 7; 'RAID' = 8; 'iSCSI' = 9; 'SAS' = 10; 'SATA' = 11; 'NVMe' = 17 }
    $i = 0
    foreach ($d in @($script:Server.profile.disks)) {
        if ($null -eq $d) { continue }
        $b = if ($bus.ContainsKey([string]$d.busType)) { $bus[[string]$d.busType] } else { 0 }
        [pscustomobject]@{ Number = [uint32]$i; FriendlyName = [string]$d.model; UniqueId = ('{0:X32}' -f $i); BusType = [uint16]$b; Size = [uint64]([double]$d.sizeGiB * 1073741824); IsBoot = ($i -eq 0); OperationalStatus = 'Online' }
        $i++
    }
    foreach ($d in @($script:Server.profile.storage.sharedDisks)) {
        if ($null -eq $d) { continue }
        [pscustomobject]@{ Number = [uint32]$i; FriendlyName = 'MSFT Virtual HD'; UniqueId = [string]$d.uniqueId; BusType = [uint16]$bus[[string]$d.busType]; Size = [uint64]([double]$d.sizeGiB * 1073741824); IsBoot = $false; OperationalStatus = 'Offline' }
        $i++
    }
}

function Test-Connection {
    <# One echo request: answered by whatever the lab's business network has at that address. #>
    [CmdletBinding()] param([Parameter(Mandatory)][string[]]$ComputerName, [int]$Count = 4, [switch]$Quiet)
    Invoke-ShimFault -Command 'Test-Connection' -Cmdlet $PSCmdlet
    foreach ($name in $ComputerName) {
        $answered = @($script:Server.clusterPrereqs.addressesInUse) -contains $name
        if ($Quiet) { $answered } else { throw 'The Windows shim models Test-Connection -Quiet only.' }
    }
}

function Resolve-DnsName {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name, [string]$Type = 'A_AAAA', [switch]$DnsOnly, [switch]$QuickTimeout)
    Invoke-ShimFault -Command 'Resolve-DnsName' -Cmdlet $PSCmdlet
    $suffix = [string]$script:Server.clusterPrereqs.dnsSuffix
    foreach ($record in @($script:Server.clusterPrereqs.dns)) {
        if ($null -eq $record) { continue }
        $fqdn = if ($suffix -ne '') { [string]$record.name + '.' + $suffix } else { [string]$record.name }
        if ($Name -ine [string]$record.name -and $Name -ine $fqdn) { continue }
        $addresses = @($record.addresses | Where-Object { $null -ne $_ })
        if ($addresses.Count -eq 0) { break }
        foreach ($a in $addresses) { [pscustomobject]@{ Name = $fqdn; Type = 'A'; TTL = 1200; Section = 'Answer'; IPAddress = [string]$a } }
        return
    }
    $e = [System.ComponentModel.Win32Exception]::new(9003, "$Name : DNS name does not exist")
    $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($e, 'DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName', 'ResourceUnavailable', $Name))
}

function Get-ShimVMHardDiskDrive {
    [CmdletBinding()] param([Parameter(Mandatory)]$VM)
    Invoke-ShimFault -Command 'Get-VMHardDiskDrive' -Cmdlet $PSCmdlet
    # PowerShell's names are case-insensitive: $VM is the parameter, $known the server's record.
    $wanted = [string]$VM.Name
    foreach ($known in @($script:Server.vms)) {
        if ($null -eq $known -or [string]$known.name -cne $wanted -or -not $known.PSObject.Properties['hardDisks']) { continue }
        $n = 0
        foreach ($disk in @($known.hardDisks)) {
            [pscustomobject]@{ VMName = [string]$known.name; ControllerType = 'SCSI'; ControllerNumber = 0; ControllerLocation = $n; Path = [string]$disk }
            $n++
        }
    }
}

function ConvertTo-ShimXmlText {
    param([string]$Text)
    $Text.Replace('&', '&amp;').Replace('<', '&lt;').Replace('>', '&gt;').Replace('"', '&quot;')
}

function Invoke-ShimTestCluster {
    <#
    Test-Cluster as lab/cluster-validation.ts runs it for these nodes (server.clusterValidation
    holds its results for each node list): the report (.htm) and the results beside it (.xml)
    written under -ReportName, the report's file returned. A key-based logon carries no network
    credentials: reaching another node is denied.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string[]]$Node, [string[]]$Include, [Parameter(Mandatory)][string]$ReportName)
    Invoke-ShimFault -Command 'Test-Cluster' -Cmdlet $PSCmdlet
    $v = $script:Server.clusterValidation
    $id = 'Test-Cluster,Microsoft.FailoverClusters.PowerShell.TestClusterCommand'
    $names = [System.Collections.Generic.List[string]]::new()
    foreach ($n in $Node) {
        $known = @($v.nodes | Where-Object { $null -ne $_ -and ([string]$_.name -ieq $n -or [string]$_.fqdn -ieq $n) }) | Select-Object -First 1
        if ($null -eq $known -or -not [bool]$known.reachable) {
            $e = [System.InvalidOperationException]::new("Unable to connect to $n via WMI. This may be due to networking issues or firewall configuration on $n.")
            throw ([System.Management.Automation.ErrorRecord]::new($e, $id, 'ConnectionError', $n))
        }
        if (-not $names.Contains([string]$known.name)) { $names.Add([string]$known.name) }
    }
    $remote = @($names | Where-Object { $_ -ine [string]$v.self }) | Select-Object -First 1
    if ($null -ne $remote -and [string]$script:Server.logon -eq 'key') {
        $e = [System.UnauthorizedAccessException]::new("You do not have administrative privileges on the server '$remote'.")
        throw ([System.Management.Automation.ErrorRecord]::new($e, $id, 'PermissionDenied', $remote))
    }
    $key = (@($names | ForEach-Object { $_.ToLowerInvariant() }) -join ',')
    $set = @($v.sets | Where-Object { $null -ne $_ -and [string]$_.key -eq $key }) | Select-Object -First 1
    if ($null -eq $set) { throw "The Windows shim has no validation results for the nodes $key." }
    $wanted = @($Include | Where-Object { $_ } | ForEach-Object { $_.ToLowerInvariant() })
    $words = @{ passed = 'Success'; warning = 'Warning'; failed = 'Failed'; 'not-run' = 'NotRun' }
    $started = [DateTime]::UtcNow.ToString('o')
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add('<?xml version="1.0" encoding="utf-8"?>')
    $lines.Add('<Report StartTime="' + (ConvertTo-ShimXmlText $started) + '">')
    $lines.Add('  <Nodes>')
    foreach ($n in $names) { $lines.Add('    <Node Name="' + (ConvertTo-ShimXmlText $n) + '" />') }
    $lines.Add('  </Nodes>')
    foreach ($c in @($set.categories)) {
        if ($null -eq $c) { continue }
        $tests = @($c.tests | Where-Object { $null -ne $_ })
        if ($wanted.Count -gt 0 -and $wanted -notcontains ([string]$c.name).ToLowerInvariant()) {
            $tests = @($tests | Where-Object { $wanted -contains ([string]$_.name).ToLowerInvariant() })
        }
        if ($tests.Count -eq 0) { continue }
        $lines.Add('  <Channel Type="Category" Name="' + (ConvertTo-ShimXmlText ([string]$c.name)) + '">')
        foreach ($t in $tests) {
            $lines.Add('    <Channel Type="Test" Name="' + (ConvertTo-ShimXmlText ([string]$t.name)) + '">')
            $lines.Add('      <Result>' + $words[[string]$t.result] + '</Result>')
            $lines.Add('      <Message>' + (ConvertTo-ShimXmlText ([string]$t.message)) + '</Message>')
            $lines.Add('    </Channel>')
        }
        $lines.Add('  </Channel>')
    }
    $lines.Add('</Report>')
    $utf8 = [System.Text.UTF8Encoding]::new($false)
    $xmlLocal = ConvertTo-ShimLocalPath -Path ($ReportName + '.xml')
    [System.IO.File]::WriteAllText($xmlLocal, (($lines -join "`r`n") + "`r`n"), $utf8)
    $htm = $ReportName + '.htm'
    $htmLocal = ConvertTo-ShimLocalPath -Path $htm
    [System.IO.File]::WriteAllText($htmLocal, '<html><head><title>Failover Cluster Validation Report</title></head><body></body></html>', $utf8)
    Add-ShimChange -Command 'Test-Cluster' -Detail @{ node = @($Node); include = @($Include | Where-Object { $_ }); reportName = $ReportName }
    New-ShimFileInfo -WindowsPath $htm -Local $htmLocal
}

# The FailoverClusters cmdlets the cluster scripts call, answered from the server document's
# `failoverCluster` (lab/handlers/cluster.ts clusterFacts): the cluster this server is a node of,
# and what New-Cluster checks (the other servers, the directory, the addresses in use). A change
# a cmdlet makes is recorded and kept for the rest of the script (New-Cluster, then Get-Cluster).

$script:ShimClusterFor = $null
$script:ShimCluster = $null
$script:ShimAddedDisks = $null

function Get-ShimClusterFacts {
    $prop = $script:Server.PSObject.Properties['failoverCluster']
    if ($null -eq $prop) { return $null }
    $prop.Value
}

function Get-ShimClusterState {
    if (-not [object]::ReferenceEquals($script:ShimClusterFor, $script:Server)) {
        $facts = Get-ShimClusterFacts
        $script:ShimCluster = if ($null -ne $facts -and $null -ne $facts.cluster) { $facts.cluster | ConvertTo-Json -Depth 8 | ConvertFrom-Json } else { $null }
        $script:ShimAddedDisks = [System.Collections.Generic.List[string]]::new()
        if ($null -ne $facts) { foreach ($d in @($facts.addedDisks)) { if ($null -ne $d) { $script:ShimAddedDisks.Add(([string]$d).ToLowerInvariant()) } } }
        $script:ShimClusterFor = $script:Server
    }
    $script:ShimCluster
}

function Stop-ShimCluster {
    param([string]$Message, [string]$Id, [string]$Category = 'NotSpecified')
    $e = [System.InvalidOperationException]::new($Message)
    throw ([System.Management.Automation.ErrorRecord]::new($e, $Id, [System.Management.Automation.ErrorCategory]$Category, $null))
}

function Assert-ShimClusterNode {
    if ($null -eq (Get-ShimClusterState)) {
        Stop-ShimCluster -Message "The cluster service is not running on '$([string]$script:Server.profile.computerName)'. Make sure that the service is running on all nodes in the cluster." -Id 'ClusterCmdletError,Microsoft.FailoverClusters.PowerShell.GetClusterCommand' -Category 'ConnectionError'
    }
}

function ConvertTo-ShimSubnet {
    param([string]$Address, [int]$PrefixLength)
    $n = [uint32]0
    foreach ($o in ($Address -split '\.')) { $n = [uint32](([uint64]$n * 256 + [int]$o) % 4294967296) }
    $mask = if ($PrefixLength -eq 0) { [uint64]0 } else { ([uint64]4294967295 -shl (32 - $PrefixLength)) -band [uint64]4294967295 }
    $net = [uint64]$n -band $mask
    (@(24, 16, 8, 0) | ForEach-Object { [string](($net -shr $_) -band 255) }) -join '.'
}

function Get-Cluster {
    [CmdletBinding()] param([string]$Name)
    Assert-ShimClusterNode
    $c = Get-ShimClusterState
    $o = [pscustomobject]@{ Name = [string]$c.name; Domain = [string]$c.domain }
    # (Get-Cluster).Description = … writes the cluster's common property.
    $o | Add-Member -MemberType ScriptProperty -Name Description -Value { [string]$script:ShimCluster.description } -SecondValue {
        param($value)
        $script:ShimCluster.description = [string]$value
        Add-ShimChange -Command 'Set-ClusterDescription' -Detail @{ description = [string]$value }
    }
    $o
}

function Get-ClusterNode {
    [CmdletBinding()] param()
    Assert-ShimClusterNode
    foreach ($n in @((Get-ShimClusterState).nodes)) { if ($null -ne $n) { [pscustomobject]@{ Name = [string]$n.name; State = [string]$n.state } } }
}

function Get-ShimClusterResources {
    $c = Get-ShimClusterState
    $i = 0
    foreach ($a in @($c.addresses)) {
        if ($null -eq $a) { continue }
        $i++
        [pscustomobject]@{ Name = $(if ($i -eq 1) { 'Cluster IP Address' } else { "Cluster IP Address $i" }); ResourceType = [pscustomobject]@{ Name = 'IP Address' }; OwnerGroup = [pscustomobject]@{ Name = 'Cluster Group' }; State = 'Online'; ShimParameters = @{ Address = [string]$a } }
    }
    $w = $c.quorum.witness
    if ($null -ne $w) {
        switch ([string]$w.kind) {
            'file-share' { [pscustomobject]@{ Name = 'File Share Witness'; ResourceType = [pscustomobject]@{ Name = 'File Share Witness' }; OwnerGroup = [pscustomobject]@{ Name = 'Cluster Group' }; State = [string]$w.state; ShimParameters = @{ SharePath = [string]$w.address } } }
            'cloud' { [pscustomobject]@{ Name = 'Cloud Witness'; ResourceType = [pscustomobject]@{ Name = 'Cloud Witness' }; OwnerGroup = [pscustomobject]@{ Name = 'Cluster Group' }; State = [string]$w.state; ShimParameters = @{ AccountName = [string]$w.address } } }
        }
    }
    foreach ($d in $script:ShimAddedDisks) {
        $name = @((Get-ShimClusterFacts).availableDisks | Where-Object { ([string]$_).ToLowerInvariant() -eq $d })[0]
        [pscustomobject]@{ Name = [string]$name; ResourceType = [pscustomobject]@{ Name = 'Physical Disk' }; OwnerGroup = [pscustomobject]@{ Name = 'Available Storage' }; State = 'Online'; ShimParameters = @{} }
    }
    foreach ($r in @($c.roles)) {
        if ($null -eq $r) { continue }
        [pscustomobject]@{ Name = "Virtual Machine $([string]$r.vm)"; ResourceType = [pscustomobject]@{ Name = 'Virtual Machine' }; OwnerGroup = [pscustomobject]@{ Name = [string]$r.name }; State = [string]$r.state; ShimParameters = @{} }
    }
}

function Get-ClusterResource {
    [CmdletBinding()] param([string]$Name)
    Assert-ShimClusterNode
    foreach ($r in Get-ShimClusterResources) { if (-not $Name -or $r.Name -eq $Name) { $r } }
}

function Get-ClusterParameter {
    [CmdletBinding()] param([Parameter(Mandatory)]$InputObject, [string]$Name)
    [pscustomobject]@{ ClusterObject = $InputObject.Name; Name = $Name; Value = $InputObject.ShimParameters[$Name] }
}

function Get-ClusterQuorum {
    [CmdletBinding()] param()
    Assert-ShimClusterNode
    $c = Get-ShimClusterState
    $w = $c.quorum.witness
    $resource = $null
    if ($null -ne $w) {
        $resource = if ([string]$w.kind -eq 'disk') {
            [pscustomobject]@{ Name = [string]$w.address; ResourceType = [pscustomobject]@{ Name = 'Physical Disk' }; State = [string]$w.state; ShimParameters = @{} }
        } else { @(Get-ShimClusterResources | Where-Object { $_.OwnerGroup.Name -eq 'Cluster Group' -and $_.ResourceType.Name -ne 'IP Address' })[0] }
    }
    [pscustomobject]@{ Cluster = [string]$c.name; QuorumResource = $resource; QuorumType = [string]$c.quorum.type }
}

function Get-ClusterGroup {
    [CmdletBinding()] param()
    Assert-ShimClusterNode
    $c = Get-ShimClusterState
    $first = [string]@($c.nodes)[0].name
    [pscustomobject]@{ Name = 'Cluster Group'; GroupType = 'Cluster'; OwnerNode = [pscustomobject]@{ Name = $first }; State = 'Online' }
    foreach ($r in @($c.roles)) {
        if ($null -eq $r) { continue }
        [pscustomobject]@{ Name = [string]$r.name; GroupType = 'VirtualMachine'; OwnerNode = [pscustomobject]@{ Name = [string]$r.ownerNode }; State = [string]$r.state; ShimVm = [string]$r.vm }
    }
}

function Get-ClusterNetwork {
    [CmdletBinding()] param()
    Assert-ShimClusterNode
    foreach ($n in @((Get-ShimClusterState).networks)) {
        if ($null -eq $n) { continue }
        $p = [int]$n.prefixLength
        $mask = ConvertTo-ShimDotted -N ([uint32]$(if ($p -eq 0) { 0 } else { ([uint64]4294967295 -shl (32 - $p)) -band [uint64]4294967295 }))
        [pscustomobject]@{ Name = [string]$n.name; Address = [string]$n.address; AddressMask = $mask; State = [string]$n.state; Role = [int]$n.role }
    }
}

function New-Cluster {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name, [string[]]$Node, [string[]]$StaticAddress, [switch]$NoStorage, [string]$AdministrativeAccessPoint)
    Invoke-ShimFault -Command 'New-Cluster' -Cmdlet $PSCmdlet
    $null = Get-ShimClusterState
    $facts = Get-ShimClusterFacts
    $me = [string]$script:Server.profile.computerName
    $id = 'CreateClusterFailed,Microsoft.FailoverClusters.PowerShell.NewClusterCommand'
    $creating = { param($reason) "There was an error creating the cluster.`r`nAn error occurred while creating the cluster '$Name'.`r`n$reason" }
    $nodes = foreach ($n in @($Node)) {
        $found = @($facts.servers | Where-Object { $_.name -eq $n -or $_.fqdn -eq $n })
        if ($found.Count -eq 0) { Stop-ShimCluster -Message (& $creating "The computer '$n' could not be reached. The RPC server is unavailable.") -Id $id -Category 'ConnectionError' }
        $found[0]
    }
    $nodes = @($nodes)
    foreach ($n in $nodes) {
        if (-not [bool]$n.featureInstalled) { Stop-ShimCluster -Message (& $creating "The computer '$($n.name)' does not have the Failover Clustering feature installed.") -Id $id -Category 'InvalidOperation' }
        if ($null -ne $n.member) { Stop-ShimCluster -Message (& $creating "The computer '$($n.name)' is joined to a cluster ('$($n.member)').") -Id $id -Category 'InvalidOperation' }
    }
    $self = @($facts.servers | Where-Object { $_.name -eq $me })[0]
    $other = @($nodes | Where-Object { $_.domain -ne $self.domain })
    if ($other.Count -gt 0) { Stop-ShimCluster -Message (& $creating "The node '$($other[0].name)' is not joined to the same domain as '$me'. All the nodes of a cluster must be in the same domain.") -Id $id -Category 'InvalidOperation' }
    $taken = (@($facts.directory.enabled) -contains $Name) -or (@($facts.servers | Where-Object { $_.name -eq $Name }).Count -gt 0) -or
        (@($nodes | Where-Object { @($_.clusterNamesTaken) -contains $Name }).Count -gt 0) -or (@($facts.clusterNames) -contains $Name)
    if ($taken) { Stop-ShimCluster -Message (& $creating "The network name '$Name' is already in use on the network by another computer.") -Id $id -Category 'ResourceExists' }
    foreach ($a in @($StaticAddress)) {
        $inUse = (@($facts.directory.addressesInUse) -contains $a) -or (@($nodes | Where-Object { @($_.addressesInUse) -contains $a }).Count -gt 0) -or
            (@($facts.servers | Where-Object { @($_.addresses) -contains $a }).Count -gt 0) -or (@($facts.clusterAddresses) -contains $a)
        if ($inUse) { Stop-ShimCluster -Message (& $creating "Static address '$a' is already in use on the network.") -Id $id -Category 'ResourceExists' }
        $onLink = @($self.subnets | Where-Object { $_.address -eq (ConvertTo-ShimSubnet -Address $a -PrefixLength ([int]$_.prefixLength)) }).Count -gt 0
        if (-not $onLink) { Stop-ShimCluster -Message "Static address '$a' was not found on any cluster network or is otherwise incompatible." -Id 'InvalidParameter,Microsoft.FailoverClusters.PowerShell.NewClusterCommand' -Category 'InvalidArgument' }
    }
    $partOfDomain = [bool]$script:Server.profile.partOfDomain
    if ($partOfDomain -and -not (@($facts.directory.prestaged) -contains $Name) -and -not [bool]$facts.directory.canCreateComputer) {
        Stop-ShimCluster -Message (& $creating "Unable to create the computer object '$Name' in '$($facts.directory.container)'. Access is denied.") -Id $id -Category 'PermissionDenied'
    }
    Add-ShimChange -Command 'New-Cluster' -Detail @{ name = $Name; node = @($Node); staticAddress = @($StaticAddress); noStorage = [bool]$NoStorage; administrativeAccessPoint = [string]$AdministrativeAccessPoint }
    $networks = [System.Collections.Generic.List[object]]::new()
    foreach ($n in $nodes) {
        foreach ($s in @($n.subnets)) {
            if (@($networks | Where-Object { $_.address -eq $s.address -and $_.prefixLength -eq $s.prefixLength }).Count -gt 0) { continue }
            $role = if ((ConvertTo-ShimSubnet -Address @($StaticAddress)[0] -PrefixLength ([int]$s.prefixLength)) -eq $s.address) { 3 } else { 1 }
            $networks.Add([pscustomobject]@{ name = "Cluster Network $($networks.Count + 1)"; address = [string]$s.address; prefixLength = [int]$s.prefixLength; state = 'Up'; role = $role })
        }
    }
    $script:ShimCluster = [pscustomobject]@{
        name = $Name; addresses = @($StaticAddress); description = ''
        domain = $(if ($partOfDomain) { [string]$script:Server.profile.domain } else { 'WORKGROUP' })
        nodes = @($nodes | ForEach-Object { [pscustomobject]@{ name = [string]$_.name; state = 'Up' } })
        quorum = [pscustomobject]@{ type = 'NodeMajority'; witness = $null }
        roles = @(); networks = $networks.ToArray()
    }
    Get-Cluster
}

function Set-ClusterQuorum {
    [CmdletBinding()] param([string]$FileShareWitness, [string]$DiskWitness, [switch]$CloudWitness, [string]$AccountName, [string]$AccessKey, [switch]$NodeMajority)
    Assert-ShimClusterNode
    $facts = Get-ShimClusterFacts
    $c = Get-ShimClusterState
    $id = 'SetClusterQuorumFailed,Microsoft.FailoverClusters.PowerShell.SetClusterQuorumCommand'
    if ($FileShareWitness) {
        $exists = ($null -eq $facts.shares) -or (@($facts.shares | Where-Object { $_ -eq $FileShareWitness }).Count -gt 0)
        if (-not $exists) { Stop-ShimCluster -Message "There was an error configuring the file share witness '$FileShareWitness'.`r`nUnable to save property changes for 'File Share Witness'.`r`nThe network name cannot be found." -Id $id -Category 'ObjectNotFound' }
        $names = @($c.nodes | ForEach-Object { [string]$_.name })
        if (@($facts.servers | Where-Object { $names -contains $_.name -and [bool]$_.witnessShareReadOnly }).Count -gt 0) {
            Stop-ShimCluster -Message "There was an error configuring the file share witness '$FileShareWitness'.`r`nUnable to save property changes for 'File Share Witness'.`r`nAccess is denied." -Id $id -Category 'PermissionDenied'
        }
        Add-ShimChange -Command 'Set-ClusterQuorum' -Detail @{ fileShareWitness = $FileShareWitness }
        $c.quorum = [pscustomobject]@{ type = 'NodeAndFileShareMajority'; witness = [pscustomobject]@{ kind = 'file-share'; address = $FileShareWitness; state = 'Online' } }
    } elseif ($DiskWitness) {
        Add-ShimChange -Command 'Set-ClusterQuorum' -Detail @{ diskWitness = $DiskWitness }
        $c.quorum = [pscustomobject]@{ type = 'NodeAndDiskMajority'; witness = [pscustomobject]@{ kind = 'disk'; address = $DiskWitness; state = 'Online' } }
    } elseif ($CloudWitness) {
        if (-not $AccessKey) { Stop-ShimCluster -Message "Cannot validate argument on parameter 'AccessKey'. The argument is null or empty." -Id 'ParameterArgumentValidationError,Microsoft.FailoverClusters.PowerShell.SetClusterQuorumCommand' -Category 'InvalidData' }
        # The key is a secret: the change records that one was given, never its value.
        Add-ShimChange -Command 'Set-ClusterQuorum' -Detail @{ cloudWitness = $true; accountName = $AccountName; accessKeyGiven = $true }
        $c.quorum = [pscustomobject]@{ type = 'NodeAndCloudMajority'; witness = [pscustomobject]@{ kind = 'cloud'; address = $AccountName; state = 'Online' } }
    } elseif ($NodeMajority) {
        Add-ShimChange -Command 'Set-ClusterQuorum' -Detail @{ nodeMajority = $true }
        $c.quorum = [pscustomobject]@{ type = 'NodeMajority'; witness = $null }
    }
}

function Get-ClusterAvailableDisk {
    [CmdletBinding()] param()
    Assert-ShimClusterNode
    foreach ($d in @((Get-ShimClusterFacts).availableDisks)) {
        if ($null -ne $d -and -not $script:ShimAddedDisks.Contains(([string]$d).ToLowerInvariant())) { [pscustomobject]@{ Name = [string]$d } }
    }
}

function Add-ClusterDisk {
    [CmdletBinding()] param([Parameter(Mandatory, ValueFromPipeline)]$InputObject)
    process {
        Add-ShimChange -Command 'Add-ClusterDisk' -Detail @{ name = [string]$InputObject.Name }
        $script:ShimAddedDisks.Add(([string]$InputObject.Name).ToLowerInvariant())
    }
}

function Add-ClusterVirtualMachineRole {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$VMName)
    Assert-ShimClusterNode
    $facts = Get-ShimClusterFacts
    $c = Get-ShimClusterState
    $names = @($c.nodes | ForEach-Object { [string]$_.name })
    $owner = @($facts.servers | Where-Object { $names -contains $_.name -and @($_.vms | Where-Object { $_.name -eq $VMName }).Count -gt 0 })
    if ($owner.Count -eq 0) { Stop-ShimCluster -Message "The virtual machine '$VMName' was not found on any node of cluster '$($c.name)'." -Id 'AddClusterVirtualMachineRoleFailed,Microsoft.FailoverClusters.PowerShell.AddClusterVirtualMachineRoleCommand' -Category 'ObjectNotFound' }
    $vm = @($owner[0].vms | Where-Object { $_.name -eq $VMName })[0]
    Add-ShimChange -Command 'Add-ClusterVirtualMachineRole' -Detail @{ vmName = $VMName }
    $state = if ([string]$vm.state -eq 'Running') { 'Pending' } else { 'Offline' }
    $c.roles = @(@($c.roles) + [pscustomobject]@{ name = [string]$vm.name; vm = [string]$vm.name; ownerNode = [string]$owner[0].name; state = $state })
}

function Remove-ClusterGroup {
    [CmdletBinding()] param([Parameter(Mandatory)]$InputObject, [switch]$RemoveResources, [switch]$Force)
    Assert-ShimClusterNode
    $c = Get-ShimClusterState
    Add-ShimChange -Command 'Remove-ClusterGroup' -Detail @{ name = [string]$InputObject.Name; removeResources = [bool]$RemoveResources; force = [bool]$Force }
    $c.roles = @($c.roles | Where-Object { $null -ne $_ -and [string]$_.name -ne [string]$InputObject.Name })
}

function Remove-Cluster {
    [CmdletBinding()] param([Parameter(Mandatory)]$InputObject, [switch]$Force, [switch]$CleanupAD)
    Assert-ShimClusterNode
    $facts = Get-ShimClusterFacts
    Add-ShimChange -Command 'Remove-Cluster' -Detail @{ name = [string]$InputObject.Name; force = [bool]$Force; cleanupAD = [bool]$CleanupAD }
    if ($CleanupAD -and -not [bool]$facts.directory.canCreateComputer) {
        Write-Warning "The computer object '$($InputObject.Name)' could not be deleted from the directory: Access is denied."
    }
    $script:ShimCluster = $null
}

Export-ModuleMember -Function @(
    'Initialize-WindowsShim', 'Get-WindowsShimChanges', 'New-Object',
    'Test-Path', 'Join-Path', 'Split-Path', 'Get-Item', 'Get-ChildItem', 'Get-Content', 'Remove-Item', 'New-Item', 'Set-Content', 'Move-Item',
    'Get-FileHash', 'Get-AuthenticodeSignature', 'Get-ItemProperty',
    'Get-CimInstance', 'Get-WinSystemLocale', 'Get-HotFix', 'Get-WindowsFeature', 'Install-WindowsFeature',
    'Uninstall-WindowsFeature',
    'Get-NetAdapter', 'Get-NetIPAddress', 'New-NetIPAddress', 'Remove-NetIPAddress', 'Get-NetRoute', 'Get-NetFirewallRule', 'Get-NetFirewallPortFilter',
    'Remove-NetFirewallRule', 'New-NetFirewallRule', 'Get-NetFirewallProfile', 'Get-PhysicalDisk', 'Get-Volume',
    'Get-ShimVM', 'Get-Service', 'Start-Service', 'Start-Process', 'powercfg.exe', 'w32tm.exe', 'shutdown.exe',
    'Invoke-ShimTwinlockctl', 'Invoke-ShimProcess',
    'Get-Disk', 'Get-SmbConnection', 'Test-Connection', 'Resolve-DnsName', 'Get-ShimVMHardDiskDrive', 'Invoke-ShimTestCluster',
    'Get-Cluster', 'Get-ClusterNode', 'Get-ClusterResource', 'Get-ClusterParameter', 'Get-ClusterQuorum', 'Get-ClusterGroup', 'Get-ClusterNetwork',
    'New-Cluster', 'Set-ClusterQuorum', 'Get-ClusterAvailableDisk', 'Add-ClusterDisk', 'Add-ClusterVirtualMachineRole', 'Remove-ClusterGroup', 'Remove-Cluster')

# ---------------------------------------------------------------- Failover Clustering (Level 1)

if (-not ('TwinlockShim.ClusterNodeState' -as [type])) {
    Add-Type -TypeDefinition @'
namespace TwinlockShim {
    // Microsoft.FailoverClusters.PowerShell enums: [string] gives the name, ConvertTo-Json the number.
    public enum ClusterNodeState { Unknown = -1, Up = 0, Down = 1, Paused = 2, Joining = 3 }
    public enum ClusterGroupState { Unknown = -1, Online = 0, Offline = 1, Failed = 2, PartialOnline = 3, Pending = 4 }
    public enum GroupType { Cluster = 1, AvailableStorage = 2, Temporary = 9999, VirtualMachine = 111, FileServer = 100, Unknown = 9998 }
}
'@
}

function Get-ShimCluster {
    <# The cluster this server is a node of, as the cluster cmdlets share it for the rest of the script (Get-ShimClusterState), or $null. #>
    Get-ShimClusterState
}

function Get-ShimFailbackTo {
    <# The node a drain moved a role off (the server document's `cluster`, lab/cluster.ts), unless this script changed it. #>
    param($Role)
    $prop = $Role.PSObject.Properties['failbackTo']
    if ($null -ne $prop) { return $prop.Value }
    $doc = $script:Server.PSObject.Properties['cluster']
    if ($null -eq $doc -or $null -eq $doc.Value) { return $null }
    $same = @($doc.Value.roles | Where-Object { $null -ne $_ -and [string]$_.name -eq [string]$Role.name })
    if ($same.Count -eq 0) { return $null }
    Get-ShimOptional $same[0] 'failbackTo'
}

function Stop-ShimClusterCmdlet {
    <# A FailoverClusters cmdlet's terminating error, as Windows PowerShell reports it. #>
    param([string]$Cmdlet, [string]$Message)
    $type = $Cmdlet.Replace('-', '')
    $record = [System.Management.Automation.ErrorRecord]::new([System.InvalidOperationException]::new($Message), "$Cmdlet,Microsoft.FailoverClusters.PowerShell.${type}Command", [System.Management.Automation.ErrorCategory]::NotSpecified, $null)
    throw ($record)
}

function Get-ShimClusterNode {
    <# The node named $Name of the cluster (Windows' error when there is none): the cmdlets talk to this server's cluster service first. #>
    param([string]$Cmdlet, [string]$Name, [switch]$StartsService)
    $cluster = Get-ShimCluster
    $notRunning = 'The cluster service is not running.  Make sure that the service is running on all nodes in the cluster.'
    if ($null -eq $cluster) { Stop-ShimClusterCmdlet -Cmdlet $Cmdlet -Message $notRunning }
    $here = @($cluster.nodes | Where-Object { [string]$_.name -eq $env:COMPUTERNAME })
    if ($here.Count -eq 0) { Stop-ShimClusterCmdlet -Cmdlet $Cmdlet -Message $notRunning }
    if ([string]$here[0].state -eq 'Down' -and -not ($StartsService -and $Name -eq $env:COMPUTERNAME)) { Stop-ShimClusterCmdlet -Cmdlet $Cmdlet -Message $notRunning }
    if ($PSBoundParameters.ContainsKey('Name')) {
        $node = @($cluster.nodes | Where-Object { [string]$_.name -eq $Name })
        if ($node.Count -eq 0) { Stop-ShimClusterCmdlet -Cmdlet $Cmdlet -Message "The cluster node '$Name' was not found." }
        return $node[0]
    }
}

function Set-ShimProperty {
    param($Object, [string]$Name, $Value)
    if ($null -eq $Object.PSObject.Properties[$Name]) { $Object | Add-Member -NotePropertyName $Name -NotePropertyValue $Value } else { $Object.$Name = $Value }
}

function Get-ShimOptional {
    param($Object, [string]$Name)
    $prop = $Object.PSObject.Properties[$Name]
    if ($null -eq $prop) { return $null }
    $prop.Value
}

function Move-ShimRolesOff {
    <# Fails the roles of a lost node over to a node that is Up: Pending there (Failed where they were when none is). #>
    param($Cluster, $Lost)
    $survivor = @($Cluster.nodes | Where-Object { $_ -ne $Lost -and [string]$_.state -eq 'Up' })
    foreach ($role in @($Cluster.roles)) {
        if ($null -eq $role -or [string]$role.ownerNode -ne [string]$Lost.name) { continue }
        Set-ShimProperty $role 'failbackTo' $null
        if ($survivor.Count -eq 0) { $role.state = 'Failed'; continue }
        $role.ownerNode = [string]$survivor[0].name
        $role.state = 'Pending'
    }
}

function Stop-ClusterNode {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name)
    $node = Get-ShimClusterNode -Cmdlet 'Stop-ClusterNode' -Name $Name
    $cluster = Get-ShimCluster
    if ([string]$node.state -eq 'Down') { return }
    if (@($cluster.nodes | Where-Object { $_ -ne $node -and [string]$_.state -eq 'Up' }).Count -eq 0) {
        Stop-ShimClusterCmdlet -Cmdlet 'Stop-ClusterNode' -Message "An error occurred while stopping the cluster node '$($node.name)'.`nThe cluster node '$($node.name)' is the last node that is up: stopping it would take every role in the cluster offline."
    }
    Add-ShimChange -Command 'Stop-ClusterNode' -Detail @{ name = $Name }
    $node.state = 'Down'
    Move-ShimRolesOff -Cluster $cluster -Lost $node
    [pscustomobject]@{ Name = [string]$node.name; State = [TwinlockShim.ClusterNodeState]::Down }
}

function Start-ClusterNode {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name)
    $node = Get-ShimClusterNode -Cmdlet 'Start-ClusterNode' -Name $Name -StartsService
    Add-ShimChange -Command 'Start-ClusterNode' -Detail @{ name = $Name }
    if ([string]$node.state -eq 'Down') { $node.state = 'Up' }
    [pscustomobject]@{ Name = [string]$node.name; State = [TwinlockShim.ClusterNodeState][string]$node.state }
}

function Suspend-ClusterNode {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name, [switch]$Drain, [switch]$Wait)
    $node = Get-ShimClusterNode -Cmdlet 'Suspend-ClusterNode' -Name $Name
    $cluster = Get-ShimCluster
    $unavailable = "An error occurred while pausing the cluster node '$($node.name)'.`nA cluster node is not available for this operation."
    if ([string]$node.state -eq 'Down') { Stop-ShimClusterCmdlet -Cmdlet 'Suspend-ClusterNode' -Message $unavailable }
    $target = @($cluster.nodes | Where-Object { $_ -ne $node -and [string]$_.state -eq 'Up' })
    $leaving = @($cluster.roles | Where-Object { $null -ne $_ -and [string]$_.ownerNode -eq [string]$node.name })
    if ($Drain -and $leaving.Count -gt 0 -and $target.Count -eq 0) { Stop-ShimClusterCmdlet -Cmdlet 'Suspend-ClusterNode' -Message $unavailable }
    Add-ShimChange -Command 'Suspend-ClusterNode' -Detail @{ name = $Name; drain = [bool]$Drain; wait = [bool]$Wait }
    $node.state = 'Paused'
    if ($Drain) {
        foreach ($role in $leaving) {
            Set-ShimProperty $role 'failbackTo' ([string]$node.name)
            $role.ownerNode = [string]$target[0].name
        }
    }
    [pscustomobject]@{ Name = [string]$node.name; State = [TwinlockShim.ClusterNodeState]::Paused }
}

function Resume-ClusterNode {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name, [ValidateSet('NoFailback', 'Immediate', 'Policy')][string]$Failback = 'NoFailback')
    $node = Get-ShimClusterNode -Cmdlet 'Resume-ClusterNode' -Name $Name
    $cluster = Get-ShimCluster
    if ([string]$node.state -eq 'Down') {
        Stop-ShimClusterCmdlet -Cmdlet 'Resume-ClusterNode' -Message "An error occurred while resuming the cluster node '$($node.name)'.`nA cluster node is not available for this operation."
    }
    Add-ShimChange -Command 'Resume-ClusterNode' -Detail @{ name = $Name; failback = $Failback }
    $node.state = 'Up'
    foreach ($role in @($cluster.roles)) {
        if ($null -eq $role -or [string](Get-ShimFailbackTo $role) -ne [string]$node.name) { continue }
        Set-ShimProperty $role 'failbackTo' $null
        if ($Failback -eq 'Immediate') { $role.ownerNode = [string]$node.name }
    }
    [pscustomobject]@{ Name = [string]$node.name; State = [TwinlockShim.ClusterNodeState]::Up }
}

function Move-ClusterVirtualMachineRole {
    [CmdletBinding()] param([Parameter(Mandatory)][string]$Name, [string]$Node, [ValidateSet('Live', 'Quick', 'Shutdown', 'TurnOff')][string]$MigrationType = 'Live')
    $target = Get-ShimClusterNode -Cmdlet 'Move-ClusterVirtualMachineRole' -Name $Node
    $cluster = Get-ShimCluster
    $role = @($cluster.roles | Where-Object { $null -ne $_ -and ([string]$_.name -eq $Name -or [string]$_.vm -eq $Name) })
    if ($role.Count -eq 0) {
        Stop-ShimClusterCmdlet -Cmdlet 'Move-ClusterVirtualMachineRole' -Message "An error occurred while moving the clustered role '$Name'.`nThe cluster group could not be found."
    }
    $role = $role[0]
    if ([string]$role.ownerNode -eq [string]$target.name) { return }
    if ([string]$target.state -ne 'Up') {
        Stop-ShimClusterCmdlet -Cmdlet 'Move-ClusterVirtualMachineRole' -Message "An error occurred while moving the clustered role '$($role.name)'.`nA cluster node is not available for this operation."
    }
    if ([string]$role.state -ne 'Online') {
        Stop-ShimClusterCmdlet -Cmdlet 'Move-ClusterVirtualMachineRole' -Message "An error occurred while moving the clustered role '$($role.name)'.`nThe virtual machine is not running: only a running virtual machine can be live migrated."
    }
    Add-ShimChange -Command 'Move-ClusterVirtualMachineRole' -Detail @{ name = $Name; node = $Node; migrationType = $MigrationType }
    $role.ownerNode = [string]$target.name
    [pscustomobject]@{ Name = [string]$role.name; OwnerNode = [string]$target.name; State = [TwinlockShim.ClusterGroupState]::Online; GroupType = [TwinlockShim.GroupType]::VirtualMachine }
}

Export-ModuleMember -Function @(
    'Stop-ClusterNode', 'Start-ClusterNode', 'Suspend-ClusterNode', 'Resume-ClusterNode',
    'Move-ClusterVirtualMachineRole')
