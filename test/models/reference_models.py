"""PyTorch reference modules for the models in models/*.cnn.

Each module here is the nn.Module that a `.cnn` file ports line by line: its
`state_dict()` keys, order and shapes are what `cnnopt X.cnn --print-params`
must list (DSL.md, "Naming of parameters"), and its forward pass is the one
the numeric tests compare against. Where the seed document has the module
(SEModule, SpatialPyramidPooling, InceptionModule, DenseBlock, CNNWithDropout)
it is copied as written there; the torchvision models are built by
`build_reference()` from torchvision 0.14 with no weights.

`REFERENCES` maps a reference name to (`models/` file, constructor, input
shape without the batch dimension).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------
# SimpleCNN (models/simple_cnn.cnn): DSL.md's first example with a pool after
# every stage. Attribute names are the .cnn variable names.
# ---------------------------------------------------------------------------
class ConvBNReLU(nn.Module):
    def __init__(self, in_channels, out, k=3, stride=1, dilation=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out, k, stride=stride,
                              padding=dilation * (k - 1) // 2,
                              dilation=dilation, bias=False)
        self.bn = nn.BatchNorm2d(out)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class SimpleCNN(nn.Module):
    """The seed document's SimpleCNN, verbatim in structure and names."""
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
        )
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)


# ---------------------------------------------------------------------------
# CNNWithDropout (models/cnn_with_dropout.cnn), as in the seed document.
# ---------------------------------------------------------------------------
class CNNWithDropout(nn.Module):
    def __init__(self, num_classes=10, dropout_rate=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout_rate),
            nn.Linear(128, num_classes)
        )

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)


# ---------------------------------------------------------------------------
# SEModule (models/se_block.cnn), as in the seed document.
# ---------------------------------------------------------------------------
class SEModule(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.squeeze = nn.AdaptiveAvgPool2d(1)
        self.excitation = nn.Sequential(
            nn.Linear(channels, channels // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels, bias=False),
            nn.Sigmoid()
        )

    def forward(self, x):
        b, c, _, _ = x.shape
        scale = self.squeeze(x).view(b, c)
        scale = self.excitation(scale).view(b, c, 1, 1)
        return x * scale


# ---------------------------------------------------------------------------
# SPPNet (models/spp.cnn): the seed's SpatialPyramidPooling on a small
# conv-BN-ReLU-pool backbone with a linear classifier.
# ---------------------------------------------------------------------------
class SpatialPyramidPooling(nn.Module):
    def __init__(self, pool_sizes=(1, 2, 4)):
        super().__init__()
        self.pool_sizes = pool_sizes

    def forward(self, x):
        b, c, _, _ = x.shape
        pooled_features = []
        for pool_size in self.pool_sizes:
            pooled = nn.functional.adaptive_avg_pool2d(x, pool_size)
            pooled_features.append(pooled.view(b, c, -1))
        return torch.cat(pooled_features, dim=-1)


class SPPNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.spp = SpatialPyramidPooling((1, 2, 4))
        self.classifier = nn.Linear(64 * (1 + 4 + 16), num_classes)

    def forward(self, x):
        x = self.spp(self.features(x))
        return self.classifier(torch.flatten(x, 1))


# ---------------------------------------------------------------------------
# InceptionModule (models/inception_module.cnn), as in the seed document.
# ---------------------------------------------------------------------------
class InceptionModule(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, ch_pool):
        super().__init__()
        self.branch1 = nn.Sequential(
            nn.Conv2d(in_channels, ch1x1, 1),
            nn.BatchNorm2d(ch1x1),
            nn.ReLU(inplace=True)
        )
        self.branch2 = nn.Sequential(
            nn.Conv2d(in_channels, ch3x3_reduce, 1),
            nn.BatchNorm2d(ch3x3_reduce),
            nn.ReLU(inplace=True),
            nn.Conv2d(ch3x3_reduce, ch3x3, 3, padding=1),
            nn.BatchNorm2d(ch3x3),
            nn.ReLU(inplace=True)
        )
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, ch5x5_reduce, 1),
            nn.BatchNorm2d(ch5x5_reduce),
            nn.ReLU(inplace=True),
            nn.Conv2d(ch5x5_reduce, ch5x5, 5, padding=2),
            nn.BatchNorm2d(ch5x5),
            nn.ReLU(inplace=True)
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1),
            nn.Conv2d(in_channels, ch_pool, 1),
            nn.BatchNorm2d(ch_pool),
            nn.ReLU(inplace=True)
        )

    def forward(self, x):
        b1 = self.branch1(x)
        b2 = self.branch2(x)
        b3 = self.branch3(x)
        b4 = self.branch4(x)
        return torch.cat([b1, b2, b3, b4], dim=1)


# ---------------------------------------------------------------------------
# DenseBlock (models/dense_block.cnn), as in the seed document.
# ---------------------------------------------------------------------------
class DenseBlock(nn.Module):
    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        self.layers = nn.ModuleList()
        for i in range(num_layers):
            self.layers.append(nn.Sequential(
                nn.BatchNorm2d(in_channels + i * growth_rate),
                nn.ReLU(inplace=True),
                nn.Conv2d(in_channels + i * growth_rate, growth_rate * 4, 1, bias=False),
                nn.BatchNorm2d(growth_rate * 4),
                nn.ReLU(inplace=True),
                nn.Conv2d(growth_rate * 4, growth_rate, 3, padding=1, bias=False),
            ))
        self.num_layers = num_layers

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            out = layer(torch.cat(features, dim=1))
            features.append(out)
        return torch.cat(features, dim=1)


# ---------------------------------------------------------------------------
# SegHead (models/seg_head.cnn): dilated convs, a transposed-conv decoder step
# with a skip connection and a final bilinear upsample.
# ---------------------------------------------------------------------------
class SegHead(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.stem = ConvBNReLU(3, 32, stride=2)
        self.down = ConvBNReLU(32, 64, stride=2)
        self.dil2 = ConvBNReLU(64, 64, dilation=2)
        self.dil4 = ConvBNReLU(64, 64, dilation=4)
        self.up = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.up_bn = nn.BatchNorm2d(32)
        self.fuse = ConvBNReLU(64, 32)
        self.classifier = nn.Conv2d(32, num_classes, 1)

    def forward(self, x):
        stem = self.stem(x)
        h = self.dil4(self.dil2(self.down(stem)))
        up = torch.relu(self.up_bn(self.up(h)))
        h = self.fuse(torch.cat([up, stem], dim=1))
        h = self.classifier(h)
        return F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)


# ---------------------------------------------------------------------------
# LeNet-5 (models/lenet.cnn): tanh and average-pool subsampling.
# ---------------------------------------------------------------------------
class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.conv1(x)), 2)
        x = torch.flatten(F.avg_pool2d(torch.tanh(self.conv2(x)), 2), 1)
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


# ---------------------------------------------------------------------------
# Registry.
# ---------------------------------------------------------------------------
def _tv(name, **kwargs):
    def build():
        import torchvision  # imported lazily: the small models do not need it
        return getattr(torchvision.models, name)(weights=None, **kwargs)
    return build


_IMAGENET = (3, 224, 224)

#: reference name -> (file under models/, constructor, input shape without batch)
REFERENCES = {
    "simple_cnn": ("simple_cnn.cnn", SimpleCNN, (3, 32, 32)),
    "cnn_with_dropout": ("cnn_with_dropout.cnn", CNNWithDropout, (3, 32, 32)),
    "se_block": ("se_block.cnn", lambda: SEModule(64, reduction=16), (64, 32, 32)),
    "spp": ("spp.cnn", SPPNet, (3, 64, 64)),
    "inception_module": ("inception_module.cnn",
                         lambda: InceptionModule(192, 64, 96, 128, 16, 32, 32), (192, 28, 28)),
    "dense_block": ("dense_block.cnn",
                    lambda: DenseBlock(64, growth_rate=32, num_layers=4), (64, 32, 32)),
    "seg_head": ("seg_head.cnn", SegHead, (3, 64, 64)),
    "lenet": ("lenet.cnn", LeNet5, (1, 32, 32)),
    "vgg16": ("vgg16.cnn", _tv("vgg16_bn"), _IMAGENET),
    "resnet18": ("resnet18.cnn", _tv("resnet18"), _IMAGENET),
    "resnet50": ("resnet50.cnn", _tv("resnet50"), _IMAGENET),
    "mobilenet_v2": ("mobilenet_v2.cnn", _tv("mobilenet_v2"), _IMAGENET),
    "mobilenet_v3_small": ("mobilenet_v3_small.cnn", _tv("mobilenet_v3_small"), _IMAGENET),
    "efficientnet_b0": ("efficientnet_b0.cnn", _tv("efficientnet_b0"), _IMAGENET),
    "densenet121": ("densenet121.cnn", _tv("densenet121"), _IMAGENET),
    "googlenet": ("googlenet.cnn",
                  _tv("googlenet", aux_logits=False, transform_input=False, init_weights=False),
                  _IMAGENET),
}


def build_reference(name):
    """Returns the reference nn.Module for `name` (a key of REFERENCES), in eval mode."""
    if name not in REFERENCES:
        raise KeyError(f"unknown reference '{name}'; known: {', '.join(REFERENCES)}")
    return REFERENCES[name][1]().eval()


def input_shape(name, batch=2):
    """The model's input shape with batch size `batch`."""
    return (batch,) + tuple(REFERENCES[name][2])


def random_state_dict(name, seed=0):
    """Random weights for reference `name` in its state_dict order that keep
    activations O(1) through deep models: He-scaled conv/linear weights
    (std sqrt(2/fan_in)), norm weights in [0.5, 1.5), biases and running
    means N(0, 0.1), running variances in [0.5, 1.5), counters unchanged."""
    torch.manual_seed(seed)
    state = {}
    for key, value in build_reference(name).state_dict().items():
        if key.endswith("num_batches_tracked"):
            state[key] = value
        elif key.endswith("running_var") or (key.endswith("weight") and value.dim() == 1):
            state[key] = torch.rand(value.shape) + 0.5
        elif value.dim() >= 2:
            fan_in = value[0].numel()
            state[key] = torch.randn(value.shape) * (2.0 / fan_in) ** 0.5
        else:
            state[key] = torch.randn(value.shape) * 0.1
    return state
