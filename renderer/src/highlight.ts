/**
 * The syntax highlighter Naive UI's <NCode> uses: highlight.js's core with only the two languages
 * the page shows (PowerShell scripts and their JSON parameters), so the bundle stays small.
 */
import hljs from 'highlight.js/lib/core';
import json from 'highlight.js/lib/languages/json';
import powershell from 'highlight.js/lib/languages/powershell';

hljs.registerLanguage('powershell', powershell);
hljs.registerLanguage('json', json);

export { hljs };
