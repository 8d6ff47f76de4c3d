"""Chainer 7.8.1 fixtures of the array functions kusari's
`functions::array` re-creates (tests: crates/kusari/tests/array_functions.rs).
The Rust test knows each case's arguments by its name; `inputs` holds the
differentiable inputs."""

import chainer.functions as F
import numpy as np

from common import case, rng, write

# Chainer 7.8.1's resize_images uses the alias `numpy.float`, which NumPy
# 1.24 removed; it meant the builtin float.
if not hasattr(np, "float"):
    np.float = float


def normal(seed, *shape):
    return rng(seed).standard_normal(shape).astype(np.float32)


cases = {}
x = normal(1, 2, 3, 4)
cases["concat_axis1"] = case(lambda a, b: F.concat((a, b), axis=1), [x, normal(2, 2, 2, 4)])
cases["concat_axis0"] = case(lambda a, b: F.concat((a, b), axis=0), [x, normal(3, 1, 3, 4)])
cases["stack_axis1"] = case(lambda a, b: F.stack((a, b), axis=1), [x, normal(4, 2, 3, 4)])
cases["hstack"] = case(lambda a, b: F.hstack((a, b)), [normal(5, 2, 3), normal(6, 2, 2)])
cases["vstack"] = case(lambda a, b: F.vstack((a, b)), [normal(7, 3), normal(8, 3)])
cases["dstack"] = case(lambda a, b: F.dstack((a, b)), [normal(9, 2, 3), normal(10, 2, 3)])
cases["split_axis_sections"] = case(lambda a: F.split_axis(a, 2, axis=2), [x])
cases["split_axis_indices"] = case(lambda a: F.split_axis(a, [1, 3], axis=2), [x])
cases["separate_axis1"] = case(lambda a: F.separate(a, axis=1), [x])
cases["get_item_basic"] = case(lambda a: F.get_item(a, (slice(None), slice(None, None, -2), 1)), [x])
cases["get_item_newaxis_ellipsis"] = case(lambda a: F.get_item(a, (None, Ellipsis, slice(1, 3))), [x])
cases["get_item_int_array"] = case(lambda a: F.get_item(a, (slice(None), np.array([2, 0, 2]))), [x])
cases["get_item_two_arrays"] = case(
    lambda a: F.get_item(a, (np.array([1, 0]), slice(None), np.array([3, -1]))), [x])
cases["get_item_mask"] = case(lambda a: F.get_item(a, np.array([[True, False, True], [False, True, True]])), [x])
cases["select_item"] = case(lambda a: F.select_item(a, np.array([2, 0, 1, 2], np.int32)), [normal(11, 4, 3)])
cond = rng(12).standard_normal((2, 3)) > 0
cases["where"] = case(lambda a, b: F.where(cond, a, b), [normal(13, 2, 3), normal(14, 2, 3)])
cases["pad_constant"] = case(lambda a: F.pad(a, ((0, 0), (1, 2), (2, 1)), "constant", constant_values=1.5), [x])
cases["tile"] = case(lambda a: F.tile(a, (2, 1, 3)), [normal(15, 2, 3)])
cases["repeat_axis1"] = case(lambda a: F.repeat(a, 2, axis=1), [normal(16, 2, 3)])
cases["repeat_list"] = case(lambda a: F.repeat(a, (1, 0, 3), axis=1), [normal(17, 2, 3)])
cases["repeat_none"] = case(lambda a: F.repeat(a, 2), [normal(18, 2, 3)])
cases["squeeze"] = case(lambda a: F.squeeze(a), [normal(19, 1, 3, 1, 2)])
cases["expand_dims"] = case(lambda a: F.expand_dims(a, -1), [normal(20, 2, 3)])
cases["flatten"] = case(lambda a: F.flatten(a), [normal(21, 2, 3)])
cases["flip_axis2"] = case(lambda a: F.flip(a, 2), [x])
cases["fliplr"] = case(lambda a: F.fliplr(a), [x])
cases["flipud"] = case(lambda a: F.flipud(a), [x])
cases["swapaxes"] = case(lambda a: F.swapaxes(a, 0, 2), [x])
cases["moveaxis"] = case(lambda a: F.moveaxis(a, 0, -1), [x])
cases["rollaxis"] = case(lambda a: F.rollaxis(a, 2, 1), [x])
cases["cast_f64"] = case(lambda a: F.cast(a, np.float64), [normal(22, 2, 3)])
img = normal(23, 2, 2, 3, 4)
cases["resize_images_align"] = case(lambda a: F.resize_images(a, (5, 7)), [img])
cases["resize_images_shrink"] = case(lambda a: F.resize_images(a, (2, 3)), [img])
cases["resize_images_noalign"] = case(lambda a: F.resize_images(a, (5, 3), align_corners=False), [img])
cases["resize_images_nearest"] = case(lambda a: F.resize_images(a, (5, 7), mode="nearest"), [img])
cases["depth2space"] = case(lambda a: F.depth2space(a, 2), [normal(24, 1, 8, 2, 3)])
cases["space2depth"] = case(lambda a: F.space2depth(a, 2), [normal(25, 1, 2, 4, 6)])
cases["scatter_add"] = case(
    lambda a, b: F.scatter_add(a, (slice(None), np.array([0, 2, 0])), b), [normal(26, 2, 3), normal(27, 2, 3)])
write("array", cases)
