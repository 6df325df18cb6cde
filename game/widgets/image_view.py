"""A 32×32 model image shown large with crisp (nearest-neighbour) pixels and a caption."""

import numpy as np
import pygame

from sim_core.images import to_rgb8


def image_surface(image: np.ndarray, size: int) -> pygame.Surface:
    """(3, H, W) in [−1, 1] → a size×size surface, pixels enlarged without blur."""
    rgb = to_rgb8(image)
    surf = pygame.surfarray.make_surface(rgb.transpose(1, 0, 2))
    return pygame.transform.scale(surf, (size, size))


def draw_image(surface, theme, image, rect: pygame.Rect, caption: str | None = None):
    """`image`: (3, H, W) in [−1, 1], a surface image_surface made already (kept between
    frames by a scene that shows the same image many frames), or None (an empty frame)."""
    pygame.draw.rect(surface, theme.colour("panel"), rect.inflate(8, 8), border_radius=6)
    if image is None:
        pygame.draw.rect(surface, theme.colour("background"), rect)
    else:
        surface.blit(image if isinstance(image, pygame.Surface) else image_surface(image, rect.width), rect)
    if caption:
        theme.text(surface, caption, (rect.x, rect.bottom + 10), role="small", colour="muted", width=rect.width)
