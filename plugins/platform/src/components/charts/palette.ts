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

/** Chart frame in SVG units; charts scale to their container's width. */
export const FRAME = {
  width: 600,
  height: 200,
  left: 64,
  right: 8,
  top: 8,
  bottom: 24,
};
