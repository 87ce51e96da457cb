import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { colourOf } from './palette';

/** The series names under a chart, each with its colour swatch. */
export function Legend({ names }: { names: string[] }) {
  return (
    <Box display="flex" flexWrap="wrap" mt={1} component="ul" p={0}>
      {names.map((name, i) => (
        <Box
          key={name}
          component="li"
          display="flex"
          alignItems="center"
          mr={2}
          style={{ listStyle: 'none' }}
        >
          <span
            aria-hidden
            style={{
              width: 12,
              height: 12,
              marginRight: 4,
              background: colourOf(i),
              display: 'inline-block',
            }}
          />
          <Typography variant="caption">{name}</Typography>
        </Box>
      ))}
    </Box>
  );
}
