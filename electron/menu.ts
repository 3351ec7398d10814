/** The application menu: File, View and Help, with developer tools only in development. */
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu's items do. */
export interface MenuActions {
  openBundle(): void;
  exportBundle(): void;
  about(): void;
}

/** The menu template; `dev` adds Toggle Developer Tools. */
export function menuTemplate(
  actions: MenuActions,
  options: { dev: boolean; platform: NodeJS.Platform },
): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [{ label: 'Reload', role: 'reload' }];
  if (options.dev) view.push({ label: 'Toggle Developer Tools', role: 'toggleDevTools' });
  view.push(
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  );
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'Open bundle…', accelerator: 'CmdOrCtrl+O', click: () => actions.openBundle() },
        { label: 'Export bundle…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportBundle() },
        { type: 'separator' },
        { label: 'Quit', role: 'quit' },
      ],
    },
    { label: 'View', submenu: view },
    { label: 'Help', role: 'help', submenu: [{ label: 'About Twinlock', click: () => actions.about() }] },
  ];
  // macOS puts the application's own menu first and expects Edit for copy/paste shortcuts.
  if (options.platform === 'darwin') {
    template.unshift({ role: 'appMenu' });
    template.splice(2, 0, { role: 'editMenu' });
  }
  return template;
}
