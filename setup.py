from setuptools import find_packages, setup

setup(
    name="graphsh-tf",
    version="0.1.0",
    description="Graph Stacked Hourglass Networks (Xu & Takano, CVPR 2021) in TensorFlow/Keras, for TFLite on phones",
    packages=find_packages(include=["graphsh_tf", "graphsh_tf.*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow==2.21.*",
        "tf-keras==2.21.*",
        "tensorflow-model-optimization==0.8.1",
        "numpy",
        "h5py",
        "ai-edge-litert",
        "matplotlib",
        "pillow",
        "opencv-python-headless",
    ],
    extras_require={
        "dev": ["pytest", "ruff==0.17.6"],
        "torch": ["torch"],
    },
)
