"""A canvas a visitor paints with a finger or the mouse: a drawing in colour, or a mask over a
picture (the part the model paints anew).

It paints at DETAIL× the model's 32×32 so strokes look smooth on screen; the model gets the
area mean of each DETAIL×DETAIL block (what a 32×32 camera would see of the drawing).
"""

import numpy as np
import pygame

from sim_core.worlds.shapes import SIZE

DETAIL = 4
BACKGROUND = (0.25, 0.25, 0.27)  # a mid-dark grey, as the shapes world's backgrounds
BRUSH_RADIUS = 2.6  # in model pixels: a finger's width on a 32-pixel picture
MASK_SHOWN = (255, 255, 255, 150)  # the mask drawn over the picture: translucent white


class Canvas:
    """rgb: (3, 32·DETAIL, 32·DETAIL) in [0, 1]; mask: the same size, 1 where painted."""

    def __init__(self, picture: np.ndarray | None = None):
        side = SIZE * DETAIL
        if picture is None:
            self.rgb = np.empty((3, side, side), np.float32)
            self.rgb[:] = np.array(BACKGROUND, np.float32)[:, None, None]
        else:  # a model image in [−1, 1], shown crisp under a mask
            self.rgb = np.repeat(np.repeat((np.clip(picture, -1, 1) + 1) / 2, DETAIL, 1), DETAIL, 2).astype(np.float32)
        self.mask = np.zeros((side, side), np.float32)
        self.last = None  # the stroke's previous point, in model pixels
        self.strokes = 0

    # painting ------------------------------------------------------------------------------
    def stroke_to(self, point, colour=None, erase=False, mask=False) -> None:
        """Paint from the stroke's last point to `point` ((x, y) in model pixels, 0–32): in
        `colour` (RGB 0–1), or the background (erase), or onto the mask (mask; erase clears)."""
        start = point if self.last is None else self.last
        self.last = point
        length = float(np.hypot(point[0] - start[0], point[1] - start[1]))
        for f in np.linspace(0, 1, max(2, int(length * DETAIL) + 1)):
            self._dab(start[0] + f * (point[0] - start[0]), start[1] + f * (point[1] - start[1]), colour, erase, mask)

    def lift(self) -> None:
        """The finger left the screen: the next point starts a new stroke."""
        if self.last is not None:
            self.strokes += 1
        self.last = None

    def _dab(self, x, y, colour, erase, mask):
        side = SIZE * DETAIL
        r = BRUSH_RADIUS * DETAIL
        cx, cy = x * DETAIL, y * DETAIL
        x0, x1 = max(0, int(cx - r - 1)), min(side, int(cx + r + 2))
        y0, y1 = max(0, int(cy - r - 1)), min(side, int(cy + r + 2))
        if x0 >= x1 or y0 >= y1:
            return
        ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
        cover = np.clip(r + 0.5 - np.hypot(xs - cx, ys - cy), 0, 1).astype(np.float32)  # anti-aliased disc
        if mask:
            region = self.mask[y0:y1, x0:x1]
            region[:] = region * (1 - cover) if erase else np.maximum(region, cover)
            return
        paint = np.array(BACKGROUND if erase else colour, np.float32)[:, None, None]
        region = self.rgb[:, y0:y1, x0:x1]
        region[:] = region * (1 - cover) + paint * cover

    def clear(self) -> None:
        """Back to the empty background (a drawing) and no mask."""
        self.rgb[:] = np.array(BACKGROUND, np.float32)[:, None, None]
        self.clear_mask()

    def clear_mask(self) -> None:
        self.mask[:] = 0

    # what the model gets -------------------------------------------------------------------
    def image(self) -> np.ndarray:
        """The drawing as a model image: (1, 3, 32, 32) in [−1, 1], block means."""
        blocks = self.rgb.reshape(3, SIZE, DETAIL, SIZE, DETAIL).mean(axis=(2, 4))
        return (blocks * 2 - 1)[None].astype(np.float32)

    def model_mask(self) -> np.ndarray:
        """The mask at the model's size, (1, 1, 32, 32): 1 where any of the block was painted
        (a part half covered is repainted whole, so no old edge is left behind)."""
        return self.mask.reshape(SIZE, DETAIL, SIZE, DETAIL).max(axis=(1, 3))[None, None].astype(np.float32)

    @property
    def painted(self) -> float:
        """The fraction of the canvas painted (drawing: off the background; mask: masked)."""
        off = np.abs(self.rgb - np.array(BACKGROUND, np.float32)[:, None, None]).max(axis=0) > 0.05
        return float(max(off.mean(), self.mask.mean()))

    # showing it ----------------------------------------------------------------------------
    def surface(self, size: int) -> pygame.Surface:
        """The canvas at size×size pixels, the mask over it."""
        rgb = (np.clip(self.rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
        surf = pygame.transform.smoothscale(pygame.surfarray.make_surface(rgb.transpose(2, 1, 0)), (size, size))
        if self.mask.any():
            alpha = (self.mask.T * MASK_SHOWN[3]).astype(np.uint8)
            veil = pygame.Surface(self.mask.shape, pygame.SRCALPHA)
            veil.fill(MASK_SHOWN[:3] + (0,))
            pygame.surfarray.pixels_alpha(veil)[:] = alpha
            surf.blit(pygame.transform.smoothscale(veil, (size, size)), (0, 0))
        return surf


def paint_event(canvas: Canvas, event, rect: pygame.Rect, screen_size, **stroke) -> bool:
    """A touch or a drag over `rect` (where the canvas is shown) paints a stroke to it
    (`stroke`: Canvas.stroke_to's colour, erase, mask); lifting the finger, or leaving the
    rect, ends the stroke. True when it painted."""
    if event.type in (pygame.MOUSEBUTTONUP, pygame.FINGERUP):
        canvas.lift()
        return False
    down = event.type in (pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN, pygame.FINGERMOTION) or \
        (event.type == pygame.MOUSEMOTION and any(event.buttons))
    if not down:
        return False
    if event.type in (pygame.FINGERDOWN, pygame.FINGERMOTION):  # fingers come in window fractions
        pos = (event.x * screen_size[0], event.y * screen_size[1])
    else:
        pos = event.pos
    point = to_model_point(pos, rect)
    if point is None:
        canvas.lift()
        return False
    canvas.stroke_to(point, **stroke)
    return True


def to_model_point(pos, rect: pygame.Rect):
    """A screen position over the canvas's rect → (x, y) in model pixels; None when outside."""
    if not rect.collidepoint(pos):
        return None
    return (pos[0] - rect.x) * SIZE / rect.width, (pos[1] - rect.y) * SIZE / rect.height
