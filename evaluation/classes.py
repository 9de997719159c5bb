"""Class names of the three tracks; the index of a name is its label value.

Track 1 uses the 200 ILSVRC DET classes in alphabetical order (the order of the ILSVRC
``meta_det.mat``, where "bow tie" precedes "bow"), with label 0 for background. Track 2 uses the
150 ADE20K SceneParsing classes in ``objectInfo150`` order, with label 0 for unlabeled pixels.

>>> DET_CLASSES[1], DET_CLASSES[200], len(DET_CLASSES)
('accordion', 'zebra', 201)
>>> ADE20K_CLASSES[1], ADE20K_CLASSES[150], len(ADE20K_CLASSES)
('wall', 'flag', 151)
"""

from __future__ import annotations

DET_CLASSES: tuple[str, ...] = (
    "background",
    "accordion", "airplane", "ant", "antelope", "apple", "armadillo", "artichoke", "axe",
    "baby bed", "backpack", "bagel", "balance beam", "banana", "band aid", "banjo", "baseball",
    "basketball", "bathing cap", "beaker", "bear", "bee", "bell pepper", "bench", "bicycle",
    "binder", "bird", "bookshelf", "bow tie", "bow", "bowl", "brassiere", "burrito", "bus",
    "butterfly", "camel", "can opener", "car", "cart", "cattle", "cello", "centipede", "chain saw",
    "chair", "chime", "cocktail shaker", "coffee maker", "computer keyboard", "computer mouse",
    "corkscrew", "cream", "croquet ball", "crutch", "cucumber", "cup or mug", "diaper",
    "digital clock", "dishwasher", "dog", "domestic cat", "dragonfly", "drum", "dumbbell",
    "electric fan", "elephant", "face powder", "fig", "filing cabinet", "flower pot", "flute", "fox",
    "french horn", "frog", "frying pan", "giant panda", "goldfish", "golf ball", "golfcart",
    "guacamole", "guitar", "hair dryer", "hair spray", "hamburger", "hammer", "hamster",
    "harmonica", "harp", "hat with a wide brim", "head cabbage", "helmet", "hippopotamus",
    "horizontal bar", "horse", "hotdog", "iPod", "isopod", "jellyfish", "koala bear", "ladle",
    "ladybug", "lamp", "laptop", "lemon", "lion", "lipstick", "lizard", "lobster", "maillot",
    "maraca", "microphone", "microwave", "milk can", "miniskirt", "monkey", "motorcycle",
    "mushroom", "nail", "neck brace", "oboe", "orange", "otter", "pencil box", "pencil sharpener",
    "perfume", "person", "piano", "pineapple", "ping-pong ball", "pitcher", "pizza", "plastic bag",
    "plate rack", "pomegranate", "popsicle", "porcupine", "power drill", "pretzel", "printer",
    "puck", "punching bag", "purse", "rabbit", "racket", "ray", "red panda", "refrigerator",
    "remote control", "rubber eraser", "rugby ball", "ruler", "salt or pepper shaker", "saxophone",
    "scorpion", "screwdriver", "seal", "sheep", "ski", "skunk", "snail", "snake", "snowmobile",
    "snowplow", "soap dispenser", "soccer ball", "sofa", "spatula", "squirrel", "starfish",
    "stethoscope", "stove", "strainer", "strawberry", "stretcher", "sunglasses", "swimming trunks",
    "swine", "syringe", "table", "tape player", "tennis ball", "tick", "tie", "tiger", "toaster",
    "traffic light", "train", "trombone", "trumpet", "turtle", "tv or monitor", "unicycle",
    "vacuum", "violin", "volleyball", "waffle iron", "washer", "water bottle", "watercraft",
    "whale", "wine bottle", "zebra",
)  # fmt: skip

ADE20K_CLASSES: tuple[str, ...] = (
    "unlabeled",
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane", "grass",
    "cabinet", "sidewalk", "person", "earth", "door", "table", "mountain", "plant", "curtain",
    "chair", "car", "water", "painting", "sofa", "shelf", "house", "sea", "mirror", "rug", "field",
    "armchair", "seat", "fence", "desk", "rock", "wardrobe", "lamp", "bathtub", "railing",
    "cushion", "base", "box", "column", "signboard", "chest of drawers", "counter", "sand", "sink",
    "skyscraper", "fireplace", "refrigerator", "grandstand", "path", "stairs", "runway", "case",
    "pool table", "pillow", "screen door", "stairway", "river", "bridge", "bookcase", "blind",
    "coffee table", "toilet", "flower", "book", "hill", "bench", "countertop", "stove", "palm",
    "kitchen island", "computer", "swivel chair", "boat", "bar", "arcade machine", "hovel", "bus",
    "towel", "light", "truck", "tower", "chandelier", "awning", "streetlight", "booth",
    "television receiver", "airplane", "dirt track", "apparel", "pole", "land", "bannister",
    "escalator", "ottoman", "bottle", "buffet", "poster", "stage", "van", "ship", "fountain",
    "conveyer belt", "canopy", "washer", "plaything", "swimming pool", "stool", "barrel", "basket",
    "waterfall", "tent", "bag", "minibike", "cradle", "oven", "ball", "food", "step", "tank",
    "trade name", "microwave", "pot", "animal", "bicycle", "lake", "dishwasher", "screen",
    "blanket", "sculpture", "hood", "sconce", "vase", "traffic light", "tray", "ashcan", "fan",
    "pier", "crt screen", "plate", "monitor", "bulletin board", "shower", "radiator", "glass",
    "clock", "flag",
)  # fmt: skip

LOCALIZATION_CLASSES: tuple[str, ...] = ("background", "object")
