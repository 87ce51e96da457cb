/**
 * Okabe–Ito colours: told apart by readers with any common colour-vision deficiency, and
 * legible on the light and dark Backstage themes.
 */
export const SERIES_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#999999',
  '#F0E442',
];

export const colourOf = (index: number) =>
  SERIES_COLOURS[index % SERIES_COLOURS.length];

/** Plot height in pixels; charts take their card's width. */
export const CHART_HEIGHT = 240;
