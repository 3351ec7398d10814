/**
 * How a Windows program receives its command line: Start-Process (Windows PowerShell 5.1) joins
 * its -ArgumentList with single spaces and adds no quotes, and the program's C runtime splits the
 * line back into arguments (CommandLineToArgvW's rules). The lab runs its native programs'
 * arguments through both, so a value a script forgot to quote splits here as it would on Windows.
 */

/** The command line Start-Process builds from -ArgumentList. */
export function startProcessArguments(argumentList: string[]): string {
  return argumentList.join(' ');
}

/**
 * The arguments a C program sees for `line` (after the program name): white space separates
 * arguments outside quotes; `"` toggles quoting; 2n backslashes before a quote are n backslashes
 * and the quote toggles, 2n+1 are n backslashes and a literal quote; other backslashes are literal;
 * `""` inside quotes is a literal quote.
 */
export function parseCommandLine(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === '\\') {
        let n = 0;
        while (line[i + n] === '\\') n++;
        if (line[i + n] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else if (quoted && line[i + n + 1] === '"') {
            arg += '"';
            i++;
          } else quoted = !quoted;
          i += n;
        } else {
          arg += '\\'.repeat(n);
          i += n - 1;
        }
      } else if (c === '"') {
        if (quoted && line[i + 1] === '"') {
          arg += '"';
          i++;
        } else quoted = !quoted;
      } else if (!quoted && (c === ' ' || c === '\t')) break;
      else arg += c;
    }
    args.push(arg);
  }
  return args;
}
