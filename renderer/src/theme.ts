/** The look: light, calm, one blue for actions. */
import type { GlobalThemeOverrides } from 'naive-ui';

export const themeOverrides: GlobalThemeOverrides = {
  common: {
    primaryColor: '#2459d6',
    primaryColorHover: '#3a6ce0',
    primaryColorPressed: '#1c47ad',
    primaryColorSuppl: '#3a6ce0',
    // Each status colour is dark enough for 4.5:1 as text on its own tint (tags), on a picked
    // table row and on white.
    infoColor: '#1758ad',
    infoColorHover: '#2266bd',
    infoColorPressed: '#12468a',
    infoColorSuppl: '#2266bd',
    successColor: '#0f6e4d',
    successColorHover: '#137a57',
    successColorPressed: '#0b573d',
    successColorSuppl: '#137a57',
    warningColor: '#8a5806',
    warningColorHover: '#9a6208',
    warningColorPressed: '#6f4705',
    warningColorSuppl: '#9a6208',
    errorColor: '#a52b25',
    errorColorHover: '#b3302a',
    errorColorPressed: '#8a231e',
    errorColorSuppl: '#b3302a',
    borderRadius: '6px',
    fontFamily:
      'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif',
    fontFamilyMono: 'ui-monospace, "Cascadia Mono", "Segoe UI Mono", "DejaVu Sans Mono", Consolas, monospace',
    bodyColor: '#f5f7fa',
  },
  Card: { borderRadius: '10px' },
  // Highlighted scripts: One Light's hues, darkened to 4.5:1 or more on the code panel (#f6f8fa).
  Code: {
    'mono-3': '#5f6672',
    'hue-1': '#00668f',
    'hue-2': '#2456c4',
    'hue-3': '#8a1f88',
    'hue-4': '#2f6b2e',
    'hue-5': '#b02a1f',
    'hue-5-2': '#a3102f',
    'hue-6': '#7a5200',
    'hue-6-2': '#7f5500',
  },
  // Naive UI greys out the titles of steps not yet reached (#c2c2c2, 1.8:1): readable instead.
  Steps: { headerTextColorWait: '#5f6368', headerTextColorFinish: '#3c4043' },
};
