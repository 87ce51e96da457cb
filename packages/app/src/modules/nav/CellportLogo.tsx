import {
  Link,
  sidebarConfig,
  useSidebarOpenState,
} from '@backstage/core-components';
import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  root: {
    width: sidebarConfig.drawerWidthClosed,
    height: 3 * sidebarConfig.logoHeight,
    display: 'flex',
    alignItems: 'center',
    marginBottom: -14,
  },
  link: {
    display: 'flex',
    alignItems: 'center',
    gap: 10,
    marginLeft: 22,
    color: '#fff',
    fontSize: 22,
    fontWeight: 600,
    whiteSpace: 'nowrap',
  },
});

/** Four cells, one of them lit: the Cellport mark. */
function CellportMark() {
  return (
    <svg width="28" height="28" viewBox="0 0 32 32" aria-hidden="true">
      <g fill="#4fd1c5">
        <rect x="2" y="2" width="13" height="13" rx="3" />
        <rect x="17" y="2" width="13" height="13" rx="3" />
        <rect x="2" y="17" width="13" height="13" rx="3" />
      </g>
      <rect x="17" y="17" width="13" height="13" rx="3" fill="#f6ad55" />
    </svg>
  );
}

export function CellportLogo() {
  const classes = useStyles();
  const { isOpen } = useSidebarOpenState();
  return (
    <div className={classes.root}>
      <Link to="/" underline="none" className={classes.link} aria-label="Home">
        <CellportMark />
        {isOpen && <span>Cellport</span>}
      </Link>
    </div>
  );
}
