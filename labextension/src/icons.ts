import { LabIcon } from '@jupyterlab/ui-components';

// jp-icon3 / jp-icon-accent: the theme recolours these (light and dark).
const runsSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161">
<path d="M3 3h2v16h16v2H3z"/>
<path d="M7 14l4-5 3 3 5-6 1.5 1.3-6.4 7.5-3-3L8.6 15.2z"/>
<circle cx="9" cy="18" r="1.2"/><circle cx="13" cy="17" r="1.2"/><circle cx="17" cy="18" r="1.2"/>
</g></svg>`;

const exportSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161">
<path d="M12 2l5 5h-3.5v7h-3V7H7z"/>
<path d="M4 13h3v5h10v-5h3v8H4z"/>
</g></svg>`;

const compareSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
<g class="jp-icon3" fill="#616161">
<path d="M4 20V10h4v10zM10 20V4h4v16zM16 20v-7h4v7z"/>
</g></svg>`;

export const runsIcon = new LabIcon({ name: 'mlops-jupyter:runs', svgstr: runsSvg });
export const exportIcon = new LabIcon({
  name: 'mlops-jupyter:export',
  svgstr: exportSvg
});
export const compareIcon = new LabIcon({
  name: 'mlops-jupyter:compare',
  svgstr: compareSvg
});
