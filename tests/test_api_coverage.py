"""The PyTorch names minigrad provides: a test that fails when one disappears.

Each list holds names that exist in PyTorch (checked below when PyTorch is installed) and in
minigrad.  A new name is welcome; a missing one breaks some learner's program.
"""
import importlib

import pytest

import minigrad as mg

PROVIDED = {
    ("minigrad", "torch"): """
        BoolTensor ByteTensor DoubleTensor FloatTensor Generator HalfTensor IntTensor LongTensor
        ShortTensor Tensor abs acos add addcdiv addcmul addmm all allclose amax amin any arange
        arccos arcsin arctan arctan2 argmax argmin argsort argwhere as_tensor asin atan atan2
        autograd bfloat16 bmm bool broadcast_shapes broadcast_tensors broadcast_to cat ceil
        chunk clamp clip concat cos cosh count_nonzero cross cuda cumprod cumsum device diag
        diagonal div divide dot double dstack einsum empty empty_like enable_grad eq equal erf exp
        exp2 expm1 eye fake_quantize_per_channel_affine fake_quantize_per_tensor_affine fix flatten flip fliplr flipud float float16 float32 float64 floor frac
        from_numpy full full_like gather ge ger get_default_device get_default_dtype get_rng_state
        greater greater_equal gt half hstack index_add index_copy index_fill index_select
        inference_mode initial_seed int int16 int32 int64 int8 is_floating_point is_grad_enabled
        is_tensor isclose isfinite isinf isnan isneginf isposinf le lerp less less_equal linalg
        linspace load log log10 log1p log2 log_softmax logical_and logical_not logical_or
        logical_xor logsumexp long lt manual_seed masked_fill masked_select matmul max maximum mean
        min minimum mm msort mul multinomial multiply mv nan_to_num narrow ne neg negative nn
        no_grad nonzero norm normal not_equal numel ones ones_like optim outer permute pow prod
        rand rand_like randint randint_like randn randn_like random randperm reciprocal relu
        repeat_interleave reshape result_type roll round row_stack rsqrt save scatter scatter_add
        seed select serialization set_default_device set_default_dtype set_grad_enabled
        set_rng_state short sigmoid sign sin sinh softmax sort split sqrt square squeeze stack std
        std_mean sub subtract sum tan tanh tensor tile topk trace transpose tril triu true_divide
        trunc uint8 unbind unique unsqueeze utils var var_mean vstack where zeros zeros_like
    """.split(),
    ("minigrad.Tensor", "torch.Tensor"): """
        T abs abs_ acos acos_ add add_ addcdiv addcdiv_ addcmul addcmul_ all allclose amax amin any
        arccos arcsin arctan arctan2 argmax argmin argsort argwhere asin asin_ atan atan2 atan2_
        atan_ backward bernoulli_ bmm bool broadcast_to byte ceil ceil_ chunk clamp clamp_ clamp_max
        clamp_max_ clamp_min clamp_min_ clip clip_ clone contiguous copy_ cos cos_ cosh cosh_
        count_nonzero cpu cuda cumprod cumprod_ cumsum cumsum_ data detach detach_ device diag
        diagonal dim div div_ divide dot double dtype element_size eq equal erf erf_ exp exp2 exp2_
        exp_ expand expand_as expm1 expm1_ exponential_ fill_ fix fix_ flatten flip fliplr flipud
        float floor floor_ frac frac_ gather ge ger grad grad_fn greater greater_equal gt half
        index_add index_add_ index_copy index_copy_ index_fill index_fill_ index_select int is_cuda
        is_floating_point is_leaf isclose isfinite isinf isnan isneginf isposinf item le lerp lerp_
        less less_equal log log10 log10_ log1p log1p_ log2 log2_ log_ log_softmax logical_and
        logical_not logical_or logical_xor logsumexp long lt mT masked_fill masked_fill_
        masked_select matmul max mean min mm msort mul mul_ multiply mv nan_to_num nan_to_num_
        narrow ndim ne neg neg_ negative nelement new_empty new_full new_ones new_tensor new_zeros
        nonzero norm normal_ not_equal numel numpy outer permute pow pow_ prod random_ reciprocal
        reciprocal_ register_hook relu relu_ repeat repeat_interleave requires_grad requires_grad_
        register_post_accumulate_grad_hook
        reshape reshape_as retain_grad retains_grad roll round round_ rsqrt rsqrt_ scatter scatter_
        scatter_add scatter_add_ select shape short sigmoid sigmoid_ sign sign_ sin sin_ sinh sinh_
        size softmax sort split sqrt sqrt_ square square_ squeeze std sub sub_ subtract sum swapaxes
        t tan tan_ tanh tanh_ tile to tolist topk trace transpose tril tril_ triu triu_ true_divide
        trunc trunc_ type type_as unbind uniform_ unique unsqueeze var view view_as zero_
    """.split(),
    ("minigrad.nn", "torch.nn"): """
        BCELoss BCEWithLogitsLoss CrossEntropyLoss Dropout ELU Embedding Flatten GELU Hardtanh
        HuberLoss Identity KLDivLoss L1Loss LayerNorm LeakyReLU Linear LogSoftmax MSELoss Mish
        Module ModuleDict ModuleList MultiheadAttention NLLLoss Parameter ParameterDict
        ParameterList ReLU ReLU6 Sequential SiLU Sigmoid SmoothL1Loss Softmax Softplus Tanh
        TransformerEncoder TransformerEncoderLayer Unflatten functional init parameter utils
    """.split(),
    ("minigrad.nn.functional", "torch.nn.functional"): """
        Tensor binary_cross_entropy binary_cross_entropy_with_logits cosine_similarity cross_entropy
        dropout elu elu_ embedding gelu hardtanh hardtanh_ huber_loss kl_div l1_loss layer_norm
        leaky_relu leaky_relu_ linear log_softmax math mish mse_loss multi_margin_loss nll_loss
        normalize np one_hot pad relu relu6 relu_ scaled_dot_product_attention sigmoid silu
        smooth_l1_loss softmax softplus tanh warnings
    """.split(),
    ("minigrad.nn.init", "torch.nn.init"): """
        calculate_gain constant_ eye_ kaiming_normal_ kaiming_uniform_ math normal_ ones_
        orthogonal_ trunc_normal_ uniform_ xavier_normal_ xavier_uniform_ zeros_
    """.split(),
    ("minigrad.nn.utils", "torch.nn.utils"): """
        clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters
    """.split(),
    ("minigrad.nn.utils.prune", "torch.nn.utils.prune"): """
        BasePruningMethod CustomFromMask Identity L1Unstructured LnStructured PruningContainer
        RandomStructured RandomUnstructured custom_from_mask global_unstructured identity is_pruned
        l1_unstructured ln_structured random_structured random_unstructured remove
    """.split(),
    ("minigrad.quantization", "torch.quantization"): """
        convert prepare_qat quantize_dynamic
    """.split(),
    ("minigrad.optim", "torch.optim"): """
        Adadelta Adagrad Adam AdamW Optimizer RMSprop SGD lr_scheduler
    """.split(),
    ("minigrad.optim.lr_scheduler", "torch.optim.lr_scheduler"): """
        ChainedScheduler ConstantLR CosineAnnealingLR CosineAnnealingWarmRestarts Counter
        ExponentialLR LRScheduler LambdaLR LinearLR MultiStepLR MultiplicativeLR OneCycleLR
        Optimizer PolynomialLR ReduceLROnPlateau SequentialLR StepLR bisect_right math types
        warnings
    """.split(),
    ("minigrad.utils.data", "torch.utils.data"): """
        BatchSampler ChainDataset ConcatDataset DataLoader Dataset IterableDataset RandomSampler
        Sampler SequentialSampler Subset SubsetRandomSampler TensorDataset WeightedRandomSampler
        dataloader dataset default_collate default_convert get_worker_info random_split sampler
    """.split(),
    ("minigrad.autograd", "torch.autograd"): """
        Function backward enable_grad function grad grad_mode gradcheck inference_mode no_grad
        set_grad_enabled
    """.split(),
    ("minigrad.cuda", "torch.cuda"): """
        current_device device_count is_available manual_seed manual_seed_all synchronize
    """.split(),
    ("minigrad.linalg", "torch.linalg"): """
        inv norm
    """.split(),
    ("minigrad.distributed", "torch.distributed"): """
        ReduceOp Work all_gather all_gather_object all_reduce barrier broadcast broadcast_object_list
        destroy_process_group get_backend get_rank get_world_size init_process_group is_available
        is_initialized is_mpi_available is_nccl_available
    """.split(),
    ("minigrad.nn.parallel", "torch.nn.parallel"): """
        DistributedDataParallel
    """.split(),
    ("minigrad.utils.data.distributed", "torch.utils.data.distributed"): """
        DistributedSampler
    """.split(),
}



def _resolve(path):
    module_path, _, attribute = path.partition(".Tensor")
    module = importlib.import_module(module_path)
    return getattr(module, "Tensor") if path.endswith(".Tensor") else module


@pytest.mark.parametrize("ours, theirs", sorted(PROVIDED))
def test_minigrad_still_provides_these_pytorch_names(ours, theirs):
    target = _resolve(ours)
    missing = [name for name in PROVIDED[(ours, theirs)] if not hasattr(target, name)]
    assert not missing, f"{ours} lost PyTorch names: {missing}"


@pytest.mark.parametrize("ours, theirs", sorted(PROVIDED))
def test_every_listed_name_is_a_pytorch_name(ours, theirs):
    pytest.importorskip("torch")
    target = _resolve(theirs)
    unknown = [name for name in PROVIDED[(ours, theirs)] if not hasattr(target, name)]
    assert not unknown, f"{theirs} has no {unknown}: the list should only hold PyTorch's names"


def test_the_names_tutorials_use_most():
    """The names of the issue's probe, by how often tutorials use them."""
    for name in ("tensor zeros ones randn rand arange linspace manual_seed no_grad cat stack where matmul "
                 "sin cos exp log tanh sigmoid softmax max min sum mean tril triu topk multinomial einsum "
                 "gather split chunk flatten from_numpy float32 float64 long device").split():
        assert hasattr(mg, name), name
    assert len(sum(PROVIDED.values(), [])) >= 600
