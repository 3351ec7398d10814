/** The look: light, calm, one blue for actions. */
import type { GlobalThemeOverrides } from 'naive-ui';

export const themeOverrides: GlobalThemeOverrides = {
  common: {
    primaryColor: '#2459d6',
    primaryColorHover: '#3a6ce0',
    primaryColorPressed: '#1c47ad',
    primaryColorSuppl: '#3a6ce0',
    successColor: '#16865f',
    warningColor: '#c27c0e',
    errorColor: '#c8382e',
    borderRadius: '6px',
    fontFamily:
      'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif',
    fontFamilyMono: 'ui-monospace, "Cascadia Mono", "Segoe UI Mono", "DejaVu Sans Mono", Consolas, monospace',
    bodyColor: '#f5f7fa',
  },
  Card: { borderRadius: '10px' },
};
