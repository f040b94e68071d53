# bounce
